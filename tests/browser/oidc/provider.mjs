// A real OpenID Provider on loopback for the dashboard's OIDC browser test
// (tests/browser/test_oidc_browser.py): panva's certified `oidc-provider`, configured here.
//
//   node provider.mjs SETUP.json
//
// SETUP.json: {"client": {client_id, client_secret, redirect_uris, post_logout_redirect_uris},
//              "accounts": {"<login>": {<claims>}}}
// Listens on a free 127.0.0.1 port, then prints one line: `ready <issuer>`.
//
// The sign-in pages are the library's development interactions: any password is taken for
// a login listed in `accounts` (what this test exercises is the dashboard, not the provider's
// password check). A fresh RSA signing key is made at each start.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const setup = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = setup.accounts ?? {};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      ...setup.client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // The claims go into the ID token too: Streamlit (Authlib) reads the ID token only and
    // does not call the userinfo endpoint.
    conformIdTokenClaims: false,
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    async findAccount(_ctx, id) {
      const claims = accounts[id];
      if (claims === undefined) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
