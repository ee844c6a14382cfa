// A real OpenID provider for the portal's sign-in tests (tests/api/staff_oidc/):
// the OpenID-certified `oidc-provider` on 127.0.0.1, with discovery, JWKS,
// authorization and token endpoints as in production.
//
//   node provider.mjs --redirect-uri URL --users JSON
//
// Listens on a free port of 127.0.0.1 and prints its issuer URL on stdout. It signs
// with a freshly generated RSA key (its own kid); POST /test/rotate replaces the key,
// as a provider rotating its signing keys does (the old one is no longer published).
//
// No browser drives the tests, so there is no login form: the interaction signs in
// the user named by the authorization request's `login_hint` (an email in --users) and
// grants the requested scopes; an unknown hint is refused with `access_denied`.
//
// A test can make the next token response misbehave (POST /test/next-token?mode=…):
//   tamper   — the ID token's payload changed (groups raised to admin) under its
//              original signature;
//   audience — the ID token re-signed with the provider's key for another client;
//   expired  — the ID token re-signed with the provider's key, expired an hour ago.

import http from 'node:http';
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const redirectUri = arg('redirect-uri');
const users = JSON.parse(arg('users', '{}'));
if (!redirectUri) {
  console.error('usage: provider.mjs --redirect-uri URL --users JSON');
  process.exit(2);
}

/** A new RS256 signing key with its own kid. */
function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

let key = newKey();
const cookieKey = randomUUID();

const b64url = (data) => Buffer.from(data).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** A JWT signed with the provider's own key, as it would sign it. */
function sign(header, payload) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key.privateKey);
  return `${input}.${b64url(signature)}`;
}

/** The ID token as the test asked the next one to be. */
function misbehave(idToken, mode) {
  const [h, p, s] = idToken.split('.');
  const header = decode(h);
  const payload = decode(p);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'tamper':
      return `${h}.${b64url(JSON.stringify({ ...payload, groups: ['dsar-admins'] }))}.${s}`;
    case 'audience':
      return sign(header, { ...payload, aud: 'another-client' });
    case 'expired':
      return sign(header, { ...payload, iat: now - 7200, exp: now - 3600 });
    default:
      return idToken;
  }
}

let nextTokenMode = null;

function accountOf(email) {
  const user = users[email];
  if (!user) return undefined;
  return {
    accountId: email,
    async claims() {
      return {
        sub: email,
        email: user.email ?? email,
        ...(user.email_verified === undefined ? {} : { email_verified: user.email_verified }),
        ...(user.groups === undefined ? {} : { groups: user.groups }),
        name: user.name ?? email,
      };
    },
  };
}

/** The provider signing with `key`: made again when the key rotates. */
function makeProvider(issuerUrl) {
  const provider = new Provider(issuerUrl, {
    clients: [{
      client_id: 'dsar-portal',
      client_secret: 'portal-secret',
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [key.jwk] },
    cookies: { keys: [cookieKey] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // The claims the scopes ask for go into the ID token, where the portal reads them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, id) => accountOf(id),
  });

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && nextTokenMode && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: misbehave(ctx.body.id_token, nextTokenMode) };
      nextTokenMode = null;
    }
  });
  return provider;
}

// The issuer names the port, so the provider is made once the server listens.
let issuerUrl;
let provider;
let handle;
function install() {
  provider = makeProvider(issuerUrl);
  handle = provider.callback();
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuerUrl);
  try {
    if (req.method === 'POST' && url.pathname === '/test/next-token') {
      nextTokenMode = url.searchParams.get('mode');
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/test/rotate') {
      // Codes, sessions and grants live in oidc-provider's in-memory store, which
      // every instance in the process shares: only the key changes.
      key = newKey();
      install();
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      const email = details.params.login_hint;
      if (!accountOf(email)) {
        await provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'no such user at the test provider',
        }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, {
        login: { accountId: email },
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
      return;
    }
    handle(req, res);
  } catch (e) {
    console.error(e);
    res.writeHead(500).end(String(e));
  }
});

server.listen(0, '127.0.0.1', () => {
  issuerUrl = `http://127.0.0.1:${server.address().port}`;
  install();
  console.log(issuerUrl);
});
