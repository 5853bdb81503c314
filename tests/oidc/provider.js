// The OpenID provider the tests start on 127.0.0.1 (tests/directory_servers.py): the npm package oidc-provider
// with one client (the app under test), a static list of people (accounts.json) and the package's development
// interactions (a sign-in form taking an account id, then a consent form). Test use only: never deployed.
//
// Environment: PORT (required), REDIRECT_URI (the app's callback), CLIENT_ID, CLIENT_SECRET.
// It runs on the machine's real clock (tests/processes.py:child_env); the tests handle the difference from
// their frozen clock themselves (tests/directory_servers.py, "Clocks").
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const { accounts } = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url)));
const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID || 'platform-mgr',
    client_secret: process.env.CLIENT_SECRET || 'platform-mgr-test-secret',
    redirect_uris: [process.env.REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail claims are in the ID token itself (the app reads them there)
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const person = accounts[sub];
    if (!person) return undefined;
    return { accountId: sub, async claims() { return { sub, ...person }; } };
  },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
