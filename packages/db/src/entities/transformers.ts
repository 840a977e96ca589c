import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as string; amounts here stay far below 2^53. */
export const bigintNullable: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null || v === undefined ? null : Number(v)),
};
export const bigint: ValueTransformer = {
  to: (v: number) => v,
  from: (v: string) => Number(v),
};
