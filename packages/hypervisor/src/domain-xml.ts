/**
 * Domain XML: built from the typed DomainSpec (xml/build.ts) and parsed for what Vireo reads back
 * (xml/parse.ts). Format reference: https://libvirt.org/formatdomain.html
 */
export { VIREO_XMLNS, escapeXml, parseXml } from './xml/common.ts';
export { buildDomainXml, defaultPlatform, diskTargets, targetDev } from './xml/build.ts';
export { type ParsedDisk, type ParsedDomain, type ParsedNic, parseDomainXml } from './xml/parse.ts';
