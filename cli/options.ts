/** Parsers of the commands' numeric options: a bad value stops the command, naming the option. */
import { InvalidArgumentError } from 'commander';

/** A whole number (0 included), e.g. a seed or a count that may be zero. */
export const wholeNumber = (name: string) => (raw: string): number => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new InvalidArgumentError(`${name} must be a whole number, got "${raw}"`);
  return value;
};

/** A whole number above 0. */
export const positiveInteger = (name: string) => (raw: string): number => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${raw}"`);
  return value;
};
