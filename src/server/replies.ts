export { formatReply, reply } from '../smtp/reply-format.js';
