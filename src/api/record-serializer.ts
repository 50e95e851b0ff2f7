/**
 * The serializer of routes that answer with records read from the store (lists, details): plain
 * JSON.stringify. Their response schemas still describe them in the OpenAPI document, but checking a
 * page of a hundred records field by field against `record(string, unknown)` proves nothing and cost
 * a host page more time than reading it from the database.
 */
export function recordSerializer(): (data: unknown) => string {
  return (data) => JSON.stringify(data);
}
