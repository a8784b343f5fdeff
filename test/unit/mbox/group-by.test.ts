import { describe, expect, it } from 'vitest';
import { connectingHost, mailerName } from '../../../src/mbox/group-by.js';

describe('--group-by received-from: the connecting host of the first Received, not its HELO name', () => {
  it.each([
    ['Postfix: from HELO (rdns [ip])', 'from helo.example (mta.example.net [192.0.2.7])\n\tby mx.example.org (Postfix) with ESMTP id 1A2B3C', 'mta.example.net [192.0.2.7]'],
    ['Postfix, no reverse DNS', 'from laptop (unknown [198.51.100.9]) by mx.example.org (Postfix) with ESMTPS id X', '[198.51.100.9]'],
    ['sendmail, ident user before the name', 'from medlicott.example.com (ident:welch@medlicott.example.com [172.17.132.188]) by x', 'medlicott.example.com [172.17.132.188]'],
    ['sendmail, no name', 'from helo.example ([203.0.113.5]) by mail.example.org (8.15.2/8.15.2) with ESMTP id x', '[203.0.113.5]'],
    ['sendmail, a name that is the address', 'from 127.0.0.1 (127.0.0.1 [127.0.0.1]) by localhost', '[127.0.0.1]'],
    ['Exim: from rdns ([ip] helo=HELO)', 'from mail.example.com ([192.0.2.1]:41234 helo=whatever) by mx with esmtps (Exim 4.96)', 'mail.example.com [192.0.2.1]'],
    ['Exim without reverse DNS', 'from [192.0.2.1] (helo=whatever) by mx with esmtp (Exim 4.96)', '[192.0.2.1]'],
    ['qmail: from rdns (HELO x) (ip)', 'from mail.example.com (HELO x.example) (192.0.2.44) by mx.example.org with SMTP; 1 Jan 2024', 'mail.example.com [192.0.2.44]'],
    ['qmail, unknown', 'from unknown (HELO x.example) (192.0.2.44) by mx.example.org with SMTP', '[192.0.2.44]'],
    ['IPv6', 'from helo (mta.example.net [IPv6:2001:db8::1]) by mx', 'mta.example.net [2001:db8::1]'],
    ['no address: the name the clause starts with', 'from localhost by mx.example.org with local', 'localhost'],
  ])('%s', (_, received, host) => {
    expect(connectingHost(received)).toBe(host);
  });

  it('two HELO names from one connecting host are one row; one HELO name from two hosts is two', () => {
    const a = connectingHost('from pc1.lan (mta.example.net [192.0.2.7]) by mx');
    const b = connectingHost('from pc2.lan (mta.example.net [192.0.2.7]) by mx');
    const c = connectingHost('from pc1.lan (other.example.net [192.0.2.8]) by mx');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('a Received field without a from clause has no host', () => {
    expect(connectingHost('by mx.example.org with local id 1')).toBeUndefined();
  });
});

describe('--group-by mailer: one mailer is one row, whatever its version', () => {
  it.each([
    ['Microsoft Outlook Express 6.00.2800.1106', 'Microsoft Outlook Express'],
    ['Microsoft Outlook Express 6.00.2900.5512', 'Microsoft Outlook Express'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:78.0) Gecko/20100101 Thunderbird/78.14.0', 'Thunderbird'],
    ['Mozilla/5.0 (Windows; U; Win98; en-US; rv:1.1) Gecko/20020826', 'Mozilla'],
    ['Mutt/1.5.21 (2010-09-15)', 'Mutt'],
    ['KMail/1.4.1', 'KMail'],
    ['KMail [version 1.2]', 'KMail'],
    ['Apple Mail (2.3445.104.11)', 'Apple Mail'],
    ['PHPMailer 5.2.22 (https://github.com/PHPMailer/PHPMailer)', 'PHPMailer'],
    ['QUALCOMM Windows Eudora Version 4.3.2', 'QUALCOMM Windows Eudora'],
    ['AOL 5.0 for Mac sub 45', 'AOL for Mac'],
    ['exmh version 2.5 07/13/2001 with nmh-1.0.4+dev', 'exmh with nmh'],
    ['Evolution 3.28.5-0ubuntu0.18.04.1', 'Evolution'],
    ['Zimbra 8.8.15_GA_3869 (ZimbraWebClient - GC79 (Win)/8.8.15_GA_3869)', 'Zimbra'],
    ['MyMailer [12345]', 'MyMailer'],
    ['ExamplePlatform Mailer 2.1', 'ExamplePlatform Mailer'],
    ['Roundcube Webmail/1.4.2', 'Roundcube Webmail'],
  ])('%s → %s', (value, name) => {
    expect(mailerName(value)).toBe(name);
  });

  it('a value that is only a version keeps its first word', () => {
    expect(mailerName('2.0')).toBe('2.0');
  });
});
