// MSAL Node against tessera.entra, driven by tests/entra/test_msalnode.py: one step per run,
// its input a JSON argument, its output one JSON line. The emulator's CA comes from
// NODE_EXTRA_CA_CERTS; knownAuthorities (host:port) skips instance discovery.
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication } from "@azure/msal-node";

const [step, raw] = process.argv.slice(2);
const input = JSON.parse(raw);
const auth = {
  clientId: input.clientId,
  authority: input.authority,
  knownAuthorities: [input.knownAuthority],
};

function summary(result) {
  return {
    accessToken: result.accessToken,
    idToken: result.idToken || null,
    scopes: result.scopes,
    tenantId: result.tenantId,
    homeAccountId: result.account ? result.account.homeAccountId : null,
    username: result.account ? result.account.username : null,
    expiresOn: result.expiresOn ? result.expiresOn.toISOString() : null,
  };
}

async function main() {
  if (step === "client-credentials") {
    const app = new ConfidentialClientApplication({ auth: { ...auth, clientSecret: input.secret } });
    return summary(await app.acquireTokenByClientCredential({ scopes: input.scopes }));
  }
  if (step === "auth-code-url") {
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const app = new PublicClientApplication({ auth });
    const url = await app.getAuthCodeUrl({
      scopes: input.scopes,
      redirectUri: input.redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      state: input.state,
    });
    return { url, verifier };
  }
  if (step === "auth-code-redeem") {
    const app = new PublicClientApplication({ auth });
    const result = await app.acquireTokenByCode({
      code: input.code,
      scopes: input.scopes,
      redirectUri: input.redirectUri,
      codeVerifier: input.verifier,
      state: input.state,
    }, { code: input.code, state: input.state, client_info: input.clientInfo });
    const silent = await app.acquireTokenSilent({ account: result.account, scopes: input.scopes, forceRefresh: true });
    return { ...summary(result), silentAccessToken: silent.accessToken };
  }
  throw new Error(`unknown step ${step}`);
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ error: err.errorCode || err.name, message: String(err.errorMessage || err.message) }));
    process.exitCode = 1;
  },
);
