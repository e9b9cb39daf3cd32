/**
 * Limit/Marker paging as the List* operations do it: a page of at most Limit items, Truncated
 * when more follow, and an opaque NextMarker that resumes after the last item returned.
 */
import { InvalidMarkerException } from '../../errors.js';

export interface PageInput {
  Limit?: number;
  Marker?: string;
}

export function pageLimit(input: PageInput, defaultLimit: number, maxLimit: number): number {
  return Math.min(input.Limit ?? defaultLimit, maxLimit);
}

/** The item name a marker resumes after, or undefined for the first page. */
export function markerPosition(input: PageInput, isValid: (name: string) => boolean): string | undefined {
  if (input.Marker === undefined) return undefined;
  const name = Buffer.from(input.Marker, 'base64url').toString('utf8');
  if (!isValid(name) || Buffer.from(name, 'utf8').toString('base64url') !== input.Marker) {
    throw new InvalidMarkerException('Invalid marker');
  }
  return name;
}

/**
 * Shapes a page from `items`, which the caller fetched with limit + 1 so that one extra item
 * tells whether the listing is truncated.
 */
export function pageOf<T>(items: T[], limit: number, name: (item: T) => string): { items: T[]; Truncated: boolean; NextMarker?: string } {
  if (items.length <= limit) return { items, Truncated: false };
  const page = items.slice(0, limit);
  const last = page[page.length - 1] as T;
  return { items: page, Truncated: true, NextMarker: Buffer.from(name(last), 'utf8').toString('base64url') };
}
