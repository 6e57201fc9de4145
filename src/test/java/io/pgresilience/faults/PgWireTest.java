package io.pgresilience.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The framing the commit cut relies on: every message found, wherever the chunks split the stream. */
class PgWireTest {

    private static byte[] untyped(int code) {
        return ByteBuffer.allocate(8).putInt(8).putInt(code).array();
    }

    private static byte[] startup() {
        byte[] params = "user\0u\0\0".getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + params.length).putInt(8 + params.length).putInt(196608).put(params).array();
    }

    private static byte[] typed(char type, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) type).putInt(4 + body.length).put(body).array();
    }

    private static byte[] tag(String t) {
        return (t + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] serverStream() {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.write('N'); // no TLS, to the SSLRequest
        s.writeBytes(typed('R', new byte[] {0, 0, 0, 0}));
        s.writeBytes(typed('S', "server_version\00015\0".getBytes(StandardCharsets.US_ASCII)));
        s.writeBytes(typed('Z', new byte[] {'I'}));
        s.writeBytes(typed('1', new byte[0]));
        s.writeBytes(typed('D', new byte[300])); // a DataRow longer than what is read
        s.writeBytes(typed('C', tag("INSERT 0 1")));
        s.writeBytes(typed('Z', new byte[] {'T'}));
        s.writeBytes(typed('C', tag("COMMIT")));
        s.writeBytes(typed('Z', new byte[] {'I'}));
        return s.toByteArray();
    }

    private static final List<String> EXPECTED = List.of("R", "S", "Z I", "1", "D", "C INSERT 0 1", "Z T", "C COMMIT", "Z I");

    @Test
    void everyMessageIsFoundWhereverTheChunksSplit() {
        byte[] server = serverStream();
        for (int split = 1; split < server.length; split++) {
            for (int size : new int[] {1, 2, 3, 7, 4096}) {
                PgWire wire = new PgWire();
                wire.client(untyped(PgWire.SSL_REQUEST), 0, 8);
                byte[] s = startup();
                wire.client(s, 0, s.length);
                List<String> seen = new ArrayList<>();
                List<Integer> ends = new ArrayList<>();
                int at = 0;
                while (at < server.length) {
                    int n = Math.min(at == 0 ? split : size, server.length - at);
                    byte[] chunk = java.util.Arrays.copyOfRange(server, at, at + n);
                    final int base = at;
                    wire.server(chunk, 0, n, (type, t, status, end) -> {
                        seen.add(type + (t != null ? " " + t : status != 0 ? " " + status : ""));
                        ends.add(base + end);
                    });
                    at += n;
                }
                assertThat(seen).as("split at " + split + ", chunks of " + size).isEqualTo(EXPECTED);
                assertThat(ends.get(ends.size() - 1)).isEqualTo(server.length);
                assertThat(wire.opaque()).isFalse();
            }
        }
    }

    @Test
    void aConnectionThatTurnsToTlsIsLeftAlone() {
        PgWire wire = new PgWire();
        wire.client(untyped(PgWire.SSL_REQUEST), 0, 8);
        List<Character> seen = new ArrayList<>();
        wire.server(new byte[] {'S', 0x16, 0x03, 0x03, 0, 5}, 0, 6, (type, t, status, end) -> seen.add(type));
        assertThat(wire.opaque()).isTrue();
        assertThat(seen).isEmpty();
    }

    @Test
    void whatCommitsAWrite() {
        assertThat(CommitCut.commits("COMMIT")).isTrue();
        assertThat(CommitCut.commits("INSERT 0 1")).isTrue();
        assertThat(CommitCut.commits("ROLLBACK")).isFalse();
        assertThat(CommitCut.commits("SELECT 1")).isFalse();
        assertThat(CommitCut.writes("BEGIN")).isFalse();
    }
}
