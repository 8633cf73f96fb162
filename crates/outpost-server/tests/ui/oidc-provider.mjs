// A real OpenID Provider for Outpost's tests: the certified `oidc-provider` package on
// 127.0.0.1, with test users and claims, its own minimal login page (no external resources),
// consent granted automatically, and test-only controls:
//
//   POST /test/rotate              new signing key (a new provider instance; the old key is gone)
//   POST /test/groups?user=U&groups=a,b   change a user's groups
//   POST /test/sign                {claims, foreign?} → a JWT signed with the current key
//                                  (or, foreign, with a key not in the JWKS), for crafted-token tests
//
//   node oidc-provider.mjs --port 0 --redirect-uri URI [--redirect-uri URI2]
//        [--post-logout-redirect-uri URI] [--client-id outpost] [--client-secret S]
//
// Prints one line `OIDC_READY {"issuer":…,"port":…}` when it listens; exits on SIGTERM or when
// its standard input closes (so it never outlives the test that started it).

import Provider from "oidc-provider";
import { createServer } from "node:http";
import { generateKeyPairSync, createSign, randomUUID } from "node:crypto";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const many = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));

const clientId = opt("client-id", "outpost");
const clientSecret = opt("client-secret", "outpost-test-secret-5b2e");
const redirectUris = many("redirect-uri");
const postLogout = many("post-logout-redirect-uri");
if (redirectUris.length === 0) {
  console.error("--redirect-uri is required");
  process.exit(2);
}

// Test users: sub → claims. Groups can be changed through /test/groups.
const users = {
  tech1: { email: "tech1@msp.example", email_verified: true, name: "Tess Tech", groups: ["msp-techs"] },
  alice: { email: "alice@acme.example", email_verified: true, name: "Alice Acme", groups: ["acme-users"] },
  mallory: { email: "mallory@nowhere.example", email_verified: true, name: "Mallory", groups: ["some-other-app"] },
  // Claims that name a tenant and an unknown group: the mapping must not read them.
  eve: { email: "eve@acme.example", email_verified: false, name: "Eve", groups: ["acme-users-not"], tenant: "globex" },
};

function newKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { jwk: { ...jwk, kid: `k-${randomUUID().slice(0, 8)}`, alg: "RS256", use: "sig" }, privateKey };
}
let key = newKey();
const foreign = newKey();

const port = Number(opt("port", "0"));
const server = createServer();
await new Promise((res) => server.listen(port, "127.0.0.1", res));
const issuer = `http://127.0.0.1:${server.address().port}`;

const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function makeProvider() {
  const p = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogout,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [key.jwk] },
    cookies: { keys: ["oidc-test-cookie-key-0b7c"] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups", "tenant"],
    },
    scopes: ["openid", "email", "profile", "groups"],
    // Scope claims go into the ID token itself (as Entra ID, Keycloak and Google do).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page("Sign out", `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout" id="op-logout">Yes, sign me out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page("Signed out", "<p>Signed out.</p>");
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const u = users[sub];
      if (!u) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...u }) };
    },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = page("Error", `<pre id="op-error">${esc(JSON.stringify(out))}</pre>`);
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  });
  return p;
}
let provider = makeProvider();

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > 65536) throw new Error("body too large");
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function b64url(buf) {
  return Buffer.from(buf).toString("base64url");
}

function sign(claims, k) {
  const header = { alg: "RS256", typ: "JWT", kid: k.jwk.kid };
  const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const s = createSign("RSA-SHA256");
  s.update(data);
  return `${data}.${b64url(s.sign(k.privateKey))}`;
}

async function interaction(req, res, url) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === "GET" && prompt.name === "login") {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(page("Test identity provider", `<form method="post" action="/interaction/${uid}/login">
      <label>User <input id="op-user" name="login" autofocus></label>
      <label>Password <input id="op-password" name="password" type="password"></label>
      <button type="submit" id="op-submit">Sign in</button></form>`));
    return;
  }
  if (req.method === "POST" && url.pathname.endsWith("/login")) {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get("login") || "";
    if (!users[login] || form.get("password") !== `${login}-pw`) {
      res.statusCode = 401;
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(page("Wrong user or password", `<a href="/interaction/${uid}">Try again</a>`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === "consent") {
    // First-party client: consent is given without asking.
    let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    if (!grant) grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.statusCode = 400;
  res.end(`unexpected prompt ${prompt.name}`);
}

server.on("request", async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith("/interaction/")) {
      await interaction(req, res, url);
      return;
    }
    if (url.pathname.startsWith("/test/") && req.method === "POST") {
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/test/rotate") {
        key = newKey();
        provider = makeProvider();
        res.end(JSON.stringify({ kid: key.jwk.kid }));
        return;
      }
      if (url.pathname === "/test/groups") {
        const u = users[url.searchParams.get("user")];
        if (!u) {
          res.statusCode = 404;
          res.end("{}");
          return;
        }
        u.groups = (url.searchParams.get("groups") || "").split(",").filter(Boolean);
        res.end(JSON.stringify(u));
        return;
      }
      if (url.pathname === "/test/sign") {
        const body = JSON.parse(await readBody(req));
        res.end(JSON.stringify({ token: sign(body.claims, body.foreign ? foreign : key), kid: key.jwk.kid }));
        return;
      }
    }
    provider.callback()(req, res);
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e && e.message ? e.message : e));
  }
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
console.log(`OIDC_READY ${JSON.stringify({ issuer, port: server.address().port, client_id: clientId, kid: key.jwk.kid })}`);
