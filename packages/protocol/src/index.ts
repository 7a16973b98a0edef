export * from './cloud-init.ts';
export * from './errors.ts';
export * from './messages.ts';
export * from './names.ts';
export * from './version.ts';
export * from './methods/storage.ts';
export * from './methods/networks.ts';
export * from './methods/vm-hardware.ts';
