import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { CLIENT_ASSERTION_TYPE } from '../../mde/auth/client-assertion.js';
import { type AppRegistration, findApp, servicePrincipalObjectId, tenantMatches } from './app-registry.js';
import { CertificateKeys } from './certificate-keys.js';
import { checkClientAssertion } from './client-assertion-verifier.js';
import {
  type EntraErrorBody,
  type EntraErrorKind,
  type EntraErrorResponse,
  entraError,
} from './entra-error.js';
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js';
import { parseTokenPath, type TokenEndpoint } from './token-path.js';
import { TokenResources } from './token-resources.js';

export interface TokenServiceOptions {
  tenantId: string;
  apps: AppRegistration[];
  /** Directory name for error texts; the tenant id when absent. */
  displayName?: string;
  /** Verified domains accepted in place of the tenant id in the token URL. */
  domains?: string[];
  /** docs/mde-api.md#sign-in: tokens live one hour. */
  tokenLifetimeSeconds?: number;
  /** The simulated clock, in ms since the epoch. */
  now: () => number;
  /** RSA private key (PEM or KeyObject) that signs access tokens; generated when absent. */
  signingKey?: KeyObject | string;
  /** Resources accepted besides MDE_TOKEN_RESOURCES, e.g. a test API. */
  extraResources?: readonly string[];
  /** Tolerance for client-assertion `nbf`/`exp`; Entra allows about five minutes. */
  clockSkewSeconds?: number;
}

export interface IssueTokenInput {
  tenantSegment: string;
  endpoint: TokenEndpoint;
  form: URLSearchParams;
  /** The URL the request was posted to; a client assertion's `aud` must name it. */
  tokenUrl: string;
  /** The client's `client-request-id`, echoed as `correlation_id` in errors. */
  correlationId?: string;
}

export interface TokenSuccessV2 {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

/** The v1 endpoint answers every number as a string, and names the resource. */
export interface TokenSuccessV1 {
  token_type: 'Bearer';
  expires_in: string;
  ext_expires_in: string;
  expires_on: string;
  not_before: string;
  resource: string;
  access_token: string;
}

export interface TokenResponse {
  status: number;
  body: TokenSuccessV2 | TokenSuccessV1 | EntraErrorBody;
}

export interface AccessTokenClaims {
  tid: string;
  appid: string;
  aud: string;
  roles: string[];
  exp: number;
}

export type AccessTokenCheck =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; status: 401; code: 'Unauthorized'; message: string };

/** When a token was issued: clock time, then issue order, so revocation works on a frozen clock. */
interface IssueMark {
  ms: number;
  serial: number;
}

type Fail = (kind: EntraErrorKind, message: string) => EntraErrorResponse;
type Step<T> = { ok: true; value: T } | { ok: false; response: EntraErrorResponse };

const DEFAULT_SUFFIX = '/.default';

/**
 * The simulated Entra ID token service for one tenant (docs/mde-api.md#sign-in): the client-credentials grant
 * over the v1 and v2 endpoints with a client secret or a certificate assertion, Entra's error
 * answers, and validation of the access tokens it issued for the simulated MDE API.
 */
export class TokenService {
  readonly tenantId: string;
  readonly now: () => number;
  readonly resources: TokenResources;
  private readonly apps: AppRegistration[];
  private readonly displayName: string;
  private readonly domains: string[];
  private readonly lifetimeSeconds: number;
  private readonly clockSkewSeconds: number;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId: string;
  private readonly issuer: string;
  private readonly certificateKeys = new CertificateKeys();
  private nextSerial = 0;
  private revokedAll: IssueMark | undefined;
  private readonly revokedClients = new Map<string, IssueMark>();

  constructor(options: TokenServiceOptions) {
    this.tenantId = options.tenantId;
    this.now = options.now;
    this.apps = options.apps;
    this.displayName = options.displayName ?? options.tenantId;
    this.domains = options.domains ?? [];
    this.lifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.clockSkewSeconds = options.clockSkewSeconds ?? 300;
    this.resources = new TokenResources(options.extraResources);
    this.privateKey =
      typeof options.signingKey === 'string'
        ? createPrivateKey(options.signingKey)
        : (options.signingKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    if (this.privateKey.type !== 'private') throw new Error('the token signing key must be a private key');
    if (this.privateKey.asymmetricKeyType !== 'rsa') {
      throw new Error('the token signing key must be RSA (RS256)');
    }
    this.publicKey = createPublicKey(this.privateKey);
    // Entra's kid/x5t is the signing certificate's thumbprint; we have no certificate, so hash the key.
    this.keyId = createHash('sha1')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
    // WindowsDefenderATP takes v1 tokens, so both endpoints issue them with the sts.windows.net issuer.
    this.issuer = `https://sts.windows.net/${this.tenantId}/`;
  }

  /** Answers one token request, exactly as Entra would, without any I/O. */
  issueToken(input: IssueTokenInput): TokenResponse {
    const nowMs = this.now();
    const ctx = { nowMs, ...(input.correlationId ? { correlationId: input.correlationId } : {}) };
    const fail: Fail = (kind, message) => entraError(kind, message, ctx);
    const { form } = input;

    if (!tenantMatches({ tenantId: this.tenantId, domains: this.domains }, input.tenantSegment)) {
      return fail(
        'tenantNotFound',
        `Tenant '${input.tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    }
    const grantType = nonEmpty(form.get('grant_type'));
    if (!grantType) return fail('missingParameter', missingParameter('grant_type'));
    if (grantType !== 'client_credentials') {
      return fail('unsupportedGrantType', `The app requested an unsupported grant type '${grantType}'.`);
    }
    const clientId = nonEmpty(form.get('client_id'));
    if (!clientId) return fail('missingParameter', missingParameter('client_id'));

    const requested = this.requestedResource(input.endpoint, form, fail);
    if (!requested.ok) return requested.response;

    const app = findApp(this.apps, clientId);
    if (!app) {
      return fail(
        'applicationNotFound',
        `Application with identifier '${clientId}' was not found in the directory '${this.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const authenticated = this.authenticateClient(app, clientId, input, nowMs, fail);
    if (!authenticated.ok) return authenticated.response;

    const resource = this.resources.resolve(requested.value);
    if (!resource) {
      return fail(
        'resourceNotFound',
        `The resource principal named ${requested.value} was not found in the tenant named ${this.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    // docs/mde-api.md#sign-in: application permissions need "Grant consent" before any token is issued.
    if (!app.consented) {
      return fail(
        'consentMissing',
        `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
      );
    }
    return this.success(input.endpoint, app, resource, authenticated.value, nowMs);
  }

  /**
   * Validates an `Authorization` header for the simulated MDE API: Bearer syntax, our signature,
   * expiry on the simulated clock, tenant, an accepted audience and revocation.
   */
  verifyAccessToken(authorizationHeader: string | undefined): AccessTokenCheck {
    if (!authorizationHeader) return deny('Authorization header is missing.');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorizationHeader);
    if (!m) return deny('Authorization header must use the Bearer scheme.');
    const jwt = decodeJwt(m[1]!);
    if (jwt?.header.alg !== 'RS256') return deny('The access token is malformed.');
    if (!verifyJwtSignature(jwt, this.publicKey, 'RS256'))
      return deny('The access token signature is invalid.');

    const { tid, iss, appid, aud, roles, exp, nbf, uti, iat } = jwt.payload;
    if (typeof tid !== 'string' || typeof appid !== 'string' || typeof aud !== 'string') {
      return deny('The access token is malformed.');
    }
    if (typeof exp !== 'number' || typeof nbf !== 'number' || typeof iat !== 'number') {
      return deny('The access token is malformed.');
    }
    if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
      return deny('The access token is malformed.');
    }
    if (iss !== this.issuer || tid !== this.tenantId)
      return deny('The access token was issued for another tenant.');
    const nowMs = this.now();
    if (nowMs >= exp * 1000) return deny('The access token has expired.');
    if (nowMs < nbf * 1000) return deny('The access token is not yet valid.');
    if (!this.resources.resolve(aud)) return deny(`The access token audience '${aud}' is not accepted.`);
    if (this.isRevoked(appid, issueMark(uti, iat))) return deny('The access token has been revoked.');
    return { ok: true, claims: { tid, appid, aud, roles: roles ? [...(roles as string[])] : [], exp } };
  }

  /** Invalidates every token issued until now (the "token revocation" fault). */
  revokeAll(): void {
    this.revokedAll = this.currentMark();
  }

  /** Invalidates the tokens issued until now to one app. */
  revokeClient(clientId: string): void {
    this.revokedClients.set(clientId.toLowerCase(), this.currentMark());
  }

  private requestedResource(endpoint: TokenEndpoint, form: URLSearchParams, fail: Fail): Step<string> {
    const stop = (kind: EntraErrorKind, message: string): Step<string> => ({
      ok: false,
      response: fail(kind, message),
    });
    if (endpoint === 'v1') {
      const resource = nonEmpty(form.get('resource'));
      return resource
        ? { ok: true, value: resource }
        : stop('missingParameter', missingParameter('resource'));
    }
    const scope = nonEmpty(form.get('scope'));
    if (!scope) return stop('missingParameter', missingParameter('scope'));
    const scopes = scope.split(/\s+/);
    if (scopes.length !== 1) {
      return stop(
        'invalidScope',
        `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid.`,
      );
    }
    // The client-credentials grant only takes `{resource}/.default` (no individual permissions).
    if (!scope.toLowerCase().endsWith(DEFAULT_SUFFIX) || scope.length === DEFAULT_SUFFIX.length) {
      return stop(
        'scopeNotDefault',
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    return { ok: true, value: scope.slice(0, -DEFAULT_SUFFIX.length) };
  }

  /** Returns the `appidacr` value: '1' for a secret, '2' for a certificate. */
  private authenticateClient(
    app: AppRegistration,
    clientId: string,
    input: IssueTokenInput,
    nowMs: number,
    fail: Fail,
  ): Step<'1' | '2'> {
    const stop = (kind: EntraErrorKind, message: string): Step<'1' | '2'> => ({
      ok: false,
      response: fail(kind, message),
    });
    const assertion = nonEmpty(input.form.get('client_assertion'));
    if (assertion) {
      const assertionType = nonEmpty(input.form.get('client_assertion_type'));
      if (!assertionType) return stop('missingParameter', missingParameter('client_assertion_type'));
      if (assertionType !== CLIENT_ASSERTION_TYPE)
        return stop('unexpectedAssertionType', 'Unexpected client assertion type.');
      const check = checkClientAssertion({
        assertion,
        clientId,
        certificatePems: app.certificates,
        keys: this.certificateKeys,
        audienceMatches: (aud) => this.audienceMatches(aud, input.tokenUrl),
        nowMs,
        clockSkewSeconds: this.clockSkewSeconds,
      });
      return check.ok ? { ok: true, value: '2' } : stop(check.kind, check.message);
    }
    const secret = input.form.get('client_secret');
    if (!secret) {
      return stop(
        'missingClientCredential',
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (!app.secrets.some((known) => sameSecret(known, secret))) {
      return stop(
        'invalidClientSecret',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    return { ok: true, value: '1' };
  }

  /** An assertion may name either token endpoint of this tenant, by id or by domain, on this host. */
  private audienceMatches(aud: string, tokenUrl: string): boolean {
    if (aud.toLowerCase() === tokenUrl.toLowerCase()) return true;
    let audUrl: URL;
    let postedUrl: URL;
    try {
      audUrl = new URL(aud);
      postedUrl = new URL(tokenUrl);
    } catch {
      return false;
    }
    if (audUrl.origin !== postedUrl.origin || audUrl.search || audUrl.hash) return false;
    const path = parseTokenPath(audUrl.pathname);
    return (
      path !== undefined &&
      tenantMatches({ tenantId: this.tenantId, domains: this.domains }, path.tenantSegment)
    );
  }

  private success(
    endpoint: TokenEndpoint,
    app: AppRegistration,
    resource: string,
    appidacr: '1' | '2',
    nowMs: number,
  ): TokenResponse {
    const mark = this.nextMark(nowMs);
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.lifetimeSeconds;
    const oid = servicePrincipalObjectId(this.tenantId, app);
    const claims = {
      aud: resource,
      iss: this.issuer,
      iat,
      nbf: iat,
      exp,
      appid: app.clientId,
      appidacr,
      idp: this.issuer,
      oid,
      // Entra leaves `roles` out entirely when the app holds no application permission.
      ...(app.roles.length > 0 ? { roles: [...app.roles] } : {}),
      sub: oid,
      tid: this.tenantId,
      uti: encodeUti(mark),
      ver: '1.0',
    };
    const accessToken = signJwt(
      { typ: 'JWT', x5t: this.keyId, kid: this.keyId },
      claims,
      this.privateKey,
      'RS256',
    );
    if (endpoint === 'v1') {
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: String(this.lifetimeSeconds),
          ext_expires_in: String(this.lifetimeSeconds),
          expires_on: String(exp),
          not_before: String(iat),
          resource,
          access_token: accessToken,
        },
      };
    }
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: this.lifetimeSeconds,
        ext_expires_in: this.lifetimeSeconds,
        access_token: accessToken,
      },
    };
  }

  private nextMark(nowMs: number): IssueMark {
    return { ms: clampMs(nowMs), serial: this.nextSerial++ };
  }

  /** The mark the next token would get: everything issued so far sorts before it. */
  private currentMark(): IssueMark {
    return { ms: clampMs(this.now()), serial: this.nextSerial };
  }

  private isRevoked(appid: string, issued: IssueMark): boolean {
    const perClient = this.revokedClients.get(appid.toLowerCase());
    return (
      (this.revokedAll !== undefined && before(issued, this.revokedAll)) ||
      (perClient !== undefined && before(issued, perClient))
    );
  }
}

function deny(message: string): AccessTokenCheck {
  return { ok: false, status: 401, code: 'Unauthorized', message };
}

function missingParameter(name: string): string {
  return `The request body must contain the following parameter: '${name}'.`;
}

function nonEmpty(value: string | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Constant-time comparison of secrets of any length (hash first, then compare digests). */
function sameSecret(known: string, offered: string): boolean {
  const a = createHash('sha256').update(known).digest();
  const b = createHash('sha256').update(offered).digest();
  return timingSafeEqual(a, b);
}

function before(a: IssueMark, b: IssueMark): boolean {
  return a.ms < b.ms || (a.ms === b.ms && a.serial < b.serial);
}

function clampMs(ms: number): number {
  return Math.min(Math.max(Math.floor(ms), 0), 2 ** 48 - 1);
}

/**
 * Entra's `uti` is an opaque 16-byte id. Ours packs the issue mark (6 bytes ms, 4 bytes serial)
 * before 6 random bytes, so revocation needs no per-token state and the id stays unique.
 */
function encodeUti(mark: IssueMark): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(mark.ms, 0, 6);
  bytes.writeUInt32BE(mark.serial % 2 ** 32, 6);
  randomBytes(6).copy(bytes, 10);
  return bytes.toString('base64url');
}

function issueMark(uti: unknown, iat: number): IssueMark {
  const bytes = typeof uti === 'string' ? Buffer.from(uti, 'base64url') : Buffer.alloc(0);
  // A token without our layout counts as issued at the start of its `iat` second.
  if (bytes.length !== 16) return { ms: iat * 1000, serial: 0 };
  return { ms: bytes.readUIntBE(0, 6), serial: bytes.readUInt32BE(6) };
}
