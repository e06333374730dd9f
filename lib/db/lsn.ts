/**
 * WAL positions (`pg_lsn`, written `16/B374D848`) as bigints, so that positions read from
 * different servers compare with `<` and `>`.
 */
export type Lsn = bigint;

/** @example parseLsn('0/3000060') // 50331744n */
export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!match) throw new Error(`Not a WAL position: "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
