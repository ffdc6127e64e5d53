// A real OpenID Connect provider for the single sign-on tests (npm's oidc-provider), on
// 127.0.0.1. One client (Pulse at PULSE_URL), two accounts with a groups claim, its own small
// password page, consent taken as given (a first-party client), RP-initiated logout on.
//
//   PROVIDER_PORT=5xxxx PULSE_URL=http://localhost:8xxxx node tests/sso/provider.mjs
//
// Prints "ready <issuer>" once it listens. Stopped by its PID.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PROVIDER_PORT);
const pulse = process.env.PULSE_URL;
const issuer = `http://127.0.0.1:${port}`;

const CLIENT = { id: 'pulse', secret: 'pulse-test-client-secret' }; // tests/sso/conftest.py too

const ACCOUNTS = {
  'tina.sso': {
    password: 'correct horse battery staple',
    claims: {
      preferred_username: 'tina.sso',
      email: 'tina.sso@example.test',
      email_verified: true,
      given_name: 'Tina',
      family_name: 'Provider',
      name: 'Tina Provider',
      groups: ['pulse-tpm', 'everyone'],
    },
  },
  'lee.sso': {
    password: 'another long passphrase',
    claims: {
      preferred_username: 'lee.sso',
      email: 'lee.sso@example.test',
      email_verified: true,
      given_name: 'Lee',
      family_name: 'Provider',
      name: 'Lee Provider',
      groups: ['pulse-leaders'],
    },
    groupsInIdTokenOnly: true,
  },
};

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'test-signing-key',
  use: 'sig',
  alg: 'RS256',
};

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      client_name: 'Pulse',
      redirect_uris: [`${pulse}/accounts/oidc/callback/`],
      post_logout_redirect_uris: [`${pulse}/accounts/login/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      // use: "id_token" or "userinfo". Lee's groups are in the ID token only, as Entra ID does.
      async claims(use) {
        const { groups, ...rest } = account.claims;
        const idTokenOnly = account.groupsInIdTokenOnly && use !== 'id_token';
        return { sub: id, ...rest, ...(idTokenOnly ? {} : { groups }) };
      },
    };
  },
  // Pulse is first-party: consent is taken as given (oidc-provider's "skip consent" recipe).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  // Every claim of the scopes in the ID token too (as Entra ID and others do), not only in
  // the userinfo answer.
  conformIdTokenClaims: false,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out of the test provider?', `${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out of the test provider.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Provider error', `<pre>${escape(JSON.stringify(out))}</pre>`);
  },
});

function loginPage(uid, error = '') {
  return page('Sign in to the test provider', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Continue</button>
</form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const handle = provider.callback();

const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  if (pathname === '/favicon.ico') {
    res.statusCode = 204; // no icon, and no 404 in the browser's console
    res.end();
    return;
  }
  const match = pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) {
    handle(req, res);
    return;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== match[1]) throw new Error('interaction mismatch');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (req.method === 'GET') {
      res.end(loginPage(details.uid));
      return;
    }
    const form = await readForm(req);
    const username = form.get('username') || '';
    const account = ACCOUNTS[username];
    if (!account || account.password !== form.get('password')) {
      // 200, as identity providers answer a wrong password (the page says it).
      res.end(loginPage(details.uid, 'Wrong username or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: username } }, {
      mergeWithLastSubmission: false,
    });
  } catch (error) {
    res.statusCode = 500;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`interaction failed: ${error}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
