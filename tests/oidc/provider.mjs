#!/usr/bin/env node
// A real OpenID Connect provider for the SSO tests (oidc-provider from npm), on 127.0.0.1:
//
//   node tests/oidc/provider.mjs --port 4000 --redirect http://127.0.0.1:8080/sign-in/sso/callback
//
// One confidential client (`helpdesk` / `helpdesk-test-secret`, PKCE required), the accounts
// of accounts.json (username + password on a simple login page, their claims: e-mail,
// matricola, SPID-style fiscalNumber, groups), a fresh RSA signing key at every start (so a
// restart is a key rotation). Prints "ready <port>" once it listens.
//
// Test controls (loopback only, for the tests that need a misbehaving provider):
//   POST /test/tamper?mode=signature|alg-none|foreign-key|audience|off
//     changes the id_token of the next token responses.

import './quiet.mjs';

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '0'));
const redirect = arg('redirect');
if (!port || !redirect) {
  console.error('usage: provider.mjs --port PORT --redirect URI');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const accounts = JSON.parse(fs.readFileSync(path.join(here, 'accounts.json'), 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

function rsaKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey;
}
const signingKey = rsaKey();
const signingJwk = { ...signingKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'helpdesk',
    client_secret: 'helpdesk-test-secret',
    redirect_uris: [redirect],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
    unibg: ['matricola', 'fiscalNumber'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = Object.values(accounts).find((a) => a.claims.sub === id);
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ ...account.claims }) };
  },
  // A first-party client: no consent screen, the requested scopes are granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
});

// --- tampering with the token response, for the tests of a refused id_token -------------------
let tamper = 'off';
const b64 = (buf) => Buffer.from(buf).toString('base64url');
const json64 = (value) => b64(JSON.stringify(value));
const unjson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

function signRs256(header, payload, key) {
  const input = `${json64(header)}.${json64(payload)}`;
  return `${input}.${b64(crypto.sign('sha256', Buffer.from(input), key))}`;
}

function tampered(idToken) {
  const [h, p, s] = idToken.split('.');
  const header = unjson(h);
  const payload = unjson(p);
  switch (tamper) {
    case 'signature': // someone else's subject, the original signature
      return `${h}.${json64({ ...payload, sub: 'unibg-9999' })}.${s}`;
    case 'alg-none': // no signature at all
      return `${json64({ alg: 'none', typ: 'JWT' })}.${json64(payload)}.`;
    case 'foreign-key': // signed by a key the provider never published, under its key id
      return signRs256(header, payload, rsaKey());
    case 'audience': // properly signed, for another client
      return signRs256(header, { ...payload, aud: 'another-client' }, signingKey);
    default:
      return idToken;
  }
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: tampered(ctx.body.id_token) };
  }
});

// --- the login page ----------------------------------------------------------------------------
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Login di Ateneo (test)</title></head>
<body><main><h1>Login di Ateneo</h1>
${error ? `<p role="alert" id="login-error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Nome utente</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button id="login-submit" type="submit">Entra</button>
</form></main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, isLogin) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (!isLogin || req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginPage(uid));
  }
  const form = await readForm(req);
  const account = accounts[form.get('username') ?? ''];
  if (!account || account.password !== form.get('password')) {
    res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginPage(uid, 'Nome utente o password errati.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: account.claims.sub } }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/test/tamper' && req.method === 'POST') {
    tamper = url.searchParams.get('mode') ?? 'off';
    res.writeHead(204);
    return res.end();
  }
  const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (m) {
    return interaction(req, res, m[1], Boolean(m[2])).catch((e) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${e.message}`);
    });
  }
  return handle(req, res);
});
server.listen(port, '127.0.0.1', () => console.log(`ready ${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
