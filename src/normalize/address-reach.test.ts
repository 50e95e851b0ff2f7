import { describe, expect, it } from 'vitest';
import { addressReach, dnsNameReach, splitAddresses, splitDnsNames } from './address-reach.js';

describe('address reach', () => {
  it.each([
    // RFC 1918 and RFC 4193
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['FC00::abcd', 'private'],
    // the other special ranges
    ['100.64.0.1', 'private'],
    ['192.0.2.10', 'private'],
    ['198.18.0.1', 'private'],
    ['203.0.113.5', 'private'],
    ['224.0.0.251', 'private'],
    ['255.255.255.255', 'private'],
    ['2001:db8::1', 'private'],
    ['ff02::1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    // loopback and link-local
    ['127.0.0.1', 'left-out'],
    ['127.8.9.10', 'left-out'],
    ['169.254.1.1', 'left-out'],
    ['::1', 'left-out'],
    ['fe80::1', 'left-out'],
    ['fe80::1%12', 'left-out'],
    // not addresses
    ['', 'left-out'],
    ['10.0.0', 'left-out'],
    ['not-an-ip', 'left-out'],
    // the rest of the internet
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['100.128.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['167.220.196.71', 'public'],
    ['2a01:110:68:4:59e4:3916:3b3e:4f96', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (address, reach) => {
    expect(addressReach(address)).toBe(reach);
  });

  it('splits a list in order, each address once, lower-cased', () => {
    expect(splitAddresses(['10.0.0.1', null, '2A01:110::1', '10.0.0.1', '127.0.0.1', '8.8.8.8'])).toEqual({
      privateIpAddresses: ['10.0.0.1'],
      publicIpAddresses: ['2a01:110::1', '8.8.8.8'],
    });
  });
});

describe('DNS name reach', () => {
  it.each([
    ['mymachine1.contoso.com', 'public'],
    ['web.example.org', 'public'],
    ['DESKTOP-7GQ1', 'private'],
    ['printer.local', 'private'],
    ['nas.home.arpa', 'private'],
    ['build-07.corp', 'private'],
    ['vm1.internal.cloudapp.net', 'private'],
    ['ip-10-0-0-1.ec2.compute.internal', 'private'],
    ['host.lan.', 'private'],
  ])('%s is %s', (name, reach) => {
    expect(dnsNameReach(name)).toBe(reach);
  });

  it('splits names, lower-cased, blanks dropped', () => {
    expect(splitDnsNames(['PC-01.Contoso.com', null, ' ', 'kiosk'])).toEqual({
      privateDnsNames: ['kiosk'],
      publicDnsNames: ['pc-01.contoso.com'],
    });
  });
});
