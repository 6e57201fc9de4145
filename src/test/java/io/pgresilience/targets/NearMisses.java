package io.pgresilience.targets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Credentials that almost match a valid bearer token: each is a way a token check goes wrong (compared without regard
 * to case, by prefix, after trimming, by its form or its claims only, ignoring its expiry). Made from the valid token;
 * for a JWT, the forms that need a signature are signed (with another key, or with the gateway's own where the suite
 * knows it). A pure function of its inputs but for the random parts.
 */
public final class NearMisses {

    /** One near miss: the Authorization header to send, or why it does not apply to this gateway's token. */
    public record NearMiss(String what, String authorization, String notApplicable) {
        public boolean applies() {
            return notApplicable == null;
        }
    }

    /** Every near miss the suite knows, in the words of the feature. */
    public static final List<String> KNOWN = List.of(
            "the token with its case changed",
            "the token with one character changed",
            "the token without its last character",
            "the token followed by a no-break space",
            "another token of the same form",
            "the token after it expired",
            "Bearer with nothing after it",
            "the token in a Basic header");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private NearMisses() {
    }

    /**
     * @param token the valid token
     * @param signingKey the key that signs the gateway's tokens (a JWT's HMAC secret), if the suite knows it
     */
    public static NearMiss of(String what, String token, Optional<String> signingKey) {
        Optional<Jwt> jwt = Jwt.parse(token);
        return switch (what) {
            case "the token with its case changed" -> bearer(what, swapCase(token));
            case "the token with one character changed" -> bearer(what, oneCharacterChanged(token));
            case "the token without its last character" -> bearer(what, token.substring(0, token.length() - 1));
            // Trailing spaces and tabs are not part of an HTTP header's value (RFC 9110 §5.5): a no-break space is kept.
            case "the token followed by a no-break space" -> bearer(what, token + "\u00a0");
            case "another token of the same form" -> bearer(what, jwt.map(j -> j.signedWith(randomKey()))
                    .orElseGet(() -> sameForm(token)));
            case "the token after it expired" -> jwt.isEmpty()
                    ? new NearMiss(what, null, "the gateway's token is not a JWT: it carries no expiry")
                    : signingKey.isEmpty()
                    ? new NearMiss(what, null, "the suite does not know the key that signs the gateway's tokens")
                    : bearer(what, jwt.get().expired().signedWith(signingKey.get().getBytes(StandardCharsets.UTF_8)));
            case "Bearer with nothing after it" -> new NearMiss(what, "Bearer ", null);
            case "the token in a Basic header" -> new NearMiss(what, "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + token).getBytes(StandardCharsets.UTF_8)), null);
            default -> throw new IllegalArgumentException("unknown near miss '" + what + "' (known: " + String.join("; ", KNOWN) + ")");
        };
    }

    private static NearMiss bearer(String what, String token) {
        return new NearMiss(what, "Bearer " + token, null);
    }

    static String swapCase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            sb.append(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
        }
        return sb.toString();
    }

    /** One character in the middle replaced by another of the same kind (the last one of base64 may carry no bits). */
    static String oneCharacterChanged(String token) {
        int at = token.length() / 2;
        while (at < token.length() - 1 && !Character.isLetterOrDigit(token.charAt(at))) {
            at++;
        }
        char c = token.charAt(at);
        char other = Character.isDigit(c) ? (char) ('0' + (c - '0' + 1) % 10)
                : Character.isUpperCase(c) ? (char) ('A' + (c - 'A' + 1) % 26)
                : Character.isLowerCase(c) ? (char) ('a' + (c - 'a' + 1) % 26) : 'x';
        return token.substring(0, at) + other + token.substring(at + 1);
    }

    /** A token of the same length made of the same kinds of characters, anew. */
    static String sameForm(String token) {
        StringBuilder sb = new StringBuilder(token.length());
        for (char c : token.toCharArray()) {
            if (Character.isDigit(c)) {
                sb.append((char) ('0' + RANDOM.nextInt(10)));
            } else if (Character.isUpperCase(c)) {
                sb.append((char) ('A' + RANDOM.nextInt(26)));
            } else if (Character.isLowerCase(c)) {
                sb.append((char) ('a' + RANDOM.nextInt(26)));
            } else {
                sb.append(c);
            }
        }
        String made = sb.toString();
        return made.equals(token) ? sameForm(token) : made;
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    /** A JSON Web Token as far as a near miss needs it: its header, its claims, its HMAC algorithm. */
    record Jwt(ObjectNode header, ObjectNode claims) {

        static Optional<Jwt> parse(String token) {
            String[] parts = token.split("\\.", -1);
            if (parts.length != 3) {
                return Optional.empty();
            }
            try {
                Base64.Decoder d = Base64.getUrlDecoder();
                ObjectNode header = (ObjectNode) JSON.readTree(d.decode(parts[0]));
                ObjectNode claims = (ObjectNode) JSON.readTree(d.decode(parts[1]));
                return header.has("alg") ? Optional.of(new Jwt(header, claims)) : Optional.empty();
            } catch (Exception notAJwt) {
                return Optional.empty();
            }
        }

        /** The same claims, expired an hour ago (issued two hours ago). */
        Jwt expired() {
            ObjectNode c = claims.deepCopy();
            long now = Instant.now().getEpochSecond();
            c.put("exp", now - 3600);
            if (c.has("iat")) {
                c.put("iat", now - 7200);
            }
            if (c.has("nbf")) {
                c.put("nbf", now - 7200);
            }
            return new Jwt(header, c);
        }

        /** Signed with the key by the token's own HMAC algorithm (HS256 for any other: the signature is wrong anyway). */
        String signedWith(byte[] key) {
            try {
                String body = B64URL.encodeToString(JSON.writeValueAsBytes(header)) + "." + B64URL.encodeToString(JSON.writeValueAsBytes(claims));
                String alg = header.path("alg").asText();
                String mac = Map.of("HS384", "HmacSHA384", "HS512", "HmacSHA512").getOrDefault(alg, "HmacSHA256");
                Mac m = Mac.getInstance(mac);
                m.init(new SecretKeySpec(key, mac));
                return body + "." + B64URL.encodeToString(m.doFinal(body.getBytes(StandardCharsets.US_ASCII)));
            } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot sign a JWT: " + e.getMessage(), e);
            }
        }
    }

    /** Every known near miss of the token, in order. */
    public static Map<String, NearMiss> all(String token, Optional<String> signingKey) {
        Map<String, NearMiss> out = new LinkedHashMap<>();
        KNOWN.forEach(w -> out.put(w, of(w, token, signingKey)));
        return out;
    }
}
