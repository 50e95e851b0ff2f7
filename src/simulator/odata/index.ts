/** The OData query subset of the simulated MDE API (docs/mde-api.md#paging, #errors, #machine-filters). */
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
} from './entity-sets.js';
export { compareForOrderBy, compileFilter, type OrderByClause, type Predicate } from './evaluate.js';
export {
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  type FilterNode,
  LAMBDA_OPERATORS,
  type LambdaOperator,
  type Literal,
} from './filter-ast.js';
export { type BoundFilter, type BoundTarget, bindFilter } from './filter-binder.js';
export { type Token, tokenize } from './filter-lexer.js';
export { parseFilter } from './filter-parser.js';
export { compareInstants, type Instant, parseInstant } from './instant.js';
export { ODataError, type ODataErrorBody, oDataErrorBody } from './odata-error.js';
export { parseQueryOptions, type QueryOptions, SUPPORTED_QUERY_OPTIONS } from './query-options.js';
export { applySelect } from './select.js';
