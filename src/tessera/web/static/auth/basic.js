// Basic authentication against tessera itself: /api/v1/users/login, /refresh and /logout.
import { ApiError, request } from "../api.js";

// OpenMetadata's login takes the password base64-encoded. That is an encoding, not protection:
// the password is protected by TLS in transit, and by nothing else.
function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function toSession(body) {
  return {
    provider: "basic",
    token: body.accessToken,
    refreshToken: body.refreshToken,
    // expiryDuration is the access token's expiry as epoch milliseconds.
    expiresAt: Number(body.expiryDuration) || Date.now() + 3_600_000,
  };
}

export async function signIn(login, password) {
  const body = await request("POST", "/api/v1/users/login", {
    body: { email: login, password: base64Utf8(password) },
    auth: false,
  });
  return toSession(body);
}

export async function renew(session) {
  if (!session.refreshToken) throw new ApiError(401, "No refresh token; please sign in again.");
  const body = await request("POST", "/api/v1/users/refresh", {
    body: { refreshToken: session.refreshToken },
    auth: false,
  });
  return toSession(body);
}

// Revokes the whole sign-in on the server (access and refresh tokens), then forgets it here.
export async function signOut(session) {
  try {
    await request("POST", "/api/v1/users/logout", {
      body: { token: session.token },
      token: session.token,
      auth: false,
    });
  } catch {
    // An expired or already revoked session is signed out either way.
  }
  return null;
}
