/**
 * The OData query subset of the simulated MDE API (docs/mde-api.md#paging, #errors, #machine-filters).
 * The `$filter` grammar, the entity sets and the error come from the client's `src/mde/odata/`, which
 * checks a connector's filter with them; evaluating filters, ordering, paging and `$select` are the
 * simulator's own.
 */
export {
  ENTITY_SET_NAMES,
  ENTITY_SETS,
  type EntitySetName,
  type EntitySetSpec,
  FILTER_FUNCTIONS,
  type FilterFunction,
  PROPERTY_TYPES,
  type PropertyType,
  resolveProperty,
  type ScalarPropertyType,
} from '../../mde/odata/entity-sets.js';
export {
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  type FilterNode,
  LAMBDA_OPERATORS,
  type LambdaOperator,
  type Literal,
} from '../../mde/odata/filter-ast.js';
export { type BoundFilter, type BoundTarget, bindFilter } from '../../mde/odata/filter-binder.js';
export { type Token, tokenize } from '../../mde/odata/filter-lexer.js';
export { parseFilter } from '../../mde/odata/filter-parser.js';
export { compareInstants, type Instant, parseInstant } from '../../mde/odata/instant.js';
export { ODataError, type ODataErrorBody, oDataErrorBody } from '../../mde/odata/odata-error.js';
export { compareForOrderBy, compileFilter, type OrderByClause, type Predicate } from './evaluate.js';
export { parseQueryOptions, type QueryOptions, SUPPORTED_QUERY_OPTIONS } from './query-options.js';
export { applySelect } from './select.js';
