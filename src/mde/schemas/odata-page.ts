/** The OData collection envelope shared by the list and export endpoints (docs/mde-api.md#paging). */
import * as z from 'zod';

/**
 * A page of items of the given schema: `{ '@odata.context'?, value: T[], '@odata.nextLink'? }`.
 *
 * Parsing a whole page with this fails on the first bad item. Connectors that must reject bad records
 * one by one (docs/architecture.md#conventions) parse the page with {@link OdataPageEnvelopeSchema} and each
 * item on its own. Build a page schema once and reuse it: `parseRecord` caches its key lookup and compiled
 * parser per schema instance.
 */
export function odataPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    '@odata.context': z.string().nullish(),
    value: z.array(item),
    /**
     * Follow it as given, never rebuild it (docs/mde-api.md#documentation-defects); absent on the last page.
     */
    '@odata.nextLink': z.string().nullish(),
  });
}

/** A page whose items are left unparsed, for per-item parsing and counted rejections. */
export const OdataPageEnvelopeSchema = odataPageSchema(z.unknown());

/** A parsed page of `T` (the output type of the item schema). */
export type OdataPage<T> = {
  '@odata.context'?: string | null;
  value: T[];
  '@odata.nextLink'?: string | null;
};
