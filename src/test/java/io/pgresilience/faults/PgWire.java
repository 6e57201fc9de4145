package io.pgresilience.faults;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * PostgreSQL's wire protocol as it passes a proxy, read without being changed: where each message of the server's side
 * of one connection ends, so that a fault can act at a point of the conversation (once the server has answered a
 * COMMIT) rather than at a point in time. Only the framing is kept (a few numbers per connection); the contents are read
 * only of the messages that matter here: CommandComplete (its tag), ReadyForQuery (the transaction status) and
 * ErrorResponse. A connection that turns to TLS, or that does not speak protocol 3, is left alone (opaque).
 */
final class PgWire {

    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    /** Longest CommandComplete tag read; longer messages of the kinds read are skipped unread. */
    private static final int MAX_READ = 256;

    /** One message of the server's side, as soon as its last byte has passed. */
    @FunctionalInterface
    interface ServerMessage {
        /**
         * @param type the message type (C, Z, E, ...)
         * @param tag a CommandComplete's tag, else null
         * @param status a ReadyForQuery's transaction status (I idle, T in a transaction, E failed), else 0
         * @param end the offset in the chunk just after the message's last byte
         */
        void seen(char type, String tag, char status, int end);
    }

    /** Answers of one byte the server owes the client (to an SSLRequest or GSSENCRequest), before its typed messages. */
    private final AtomicInteger singleByteAnswers = new AtomicInteger();
    private volatile boolean opaque;

    // The client's side: only its untyped start (SSLRequest, GSSENCRequest, StartupMessage) is framed.
    private boolean clientStarted;
    private final byte[] clientHeader = new byte[8];
    private int clientHeaderFill;
    private long clientSkip;

    // The server's side.
    private final byte[] header = new byte[5];
    private int headerFill;
    private long skip;
    private char type;
    private byte[] body;
    private int bodyFill;

    boolean opaque() {
        return opaque;
    }

    /** Bytes the client sent, in order. */
    void client(byte[] b, int off, int n) {
        int i = off;
        int end = off + n;
        while (i < end && !clientStarted && !opaque) {
            if (clientSkip > 0) {
                int take = (int) Math.min(clientSkip, end - i);
                clientSkip -= take;
                i += take;
                continue;
            }
            clientHeader[clientHeaderFill++] = b[i++];
            if (clientHeaderFill < 8) {
                continue;
            }
            clientHeaderFill = 0;
            int length = int32(clientHeader, 0);
            int code = int32(clientHeader, 4);
            if (length < 8) {
                opaque = true;
                return;
            }
            clientSkip = length - 8L;
            if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
                singleByteAnswers.incrementAndGet();
            } else if (code >>> 16 == 3) {
                clientStarted = true; // a StartupMessage: typed messages from here on (not framed: nothing needs them)
            } else {
                opaque = true; // a CancelRequest or a protocol this does not read
            }
        }
    }

    /** Bytes the server sent, in order; each message whose end lies in them is reported. */
    void server(byte[] b, int off, int n, ServerMessage listener) {
        int i = off;
        int end = off + n;
        while (i < end && !opaque) {
            if (skip > 0) {
                int take = (int) Math.min(skip, end - i);
                if (body != null) {
                    System.arraycopy(b, i, body, bodyFill, take);
                    bodyFill += take;
                }
                skip -= take;
                i += take;
                if (skip == 0) {
                    done(listener, i);
                }
                continue;
            }
            if (headerFill == 0 && singleByteAnswers.get() > 0) {
                singleByteAnswers.decrementAndGet();
                byte answer = b[i++];
                if (answer == 'S' || answer == 'G') {
                    opaque = true; // TLS or GSSAPI encryption from here on
                }
                continue;
            }
            header[headerFill++] = b[i++];
            if (headerFill < 5) {
                continue;
            }
            headerFill = 0;
            type = (char) header[0];
            int length = int32(header, 1);
            if (length < 4) {
                opaque = true;
                return;
            }
            skip = length - 4L;
            boolean read = (type == 'C' || type == 'Z') && skip <= MAX_READ;
            body = read ? new byte[(int) skip] : null;
            bodyFill = 0;
            if (skip == 0) {
                done(listener, i);
            }
        }
    }

    private void done(ServerMessage listener, int end) {
        String tag = null;
        char status = 0;
        if (type == 'C' && body != null) {
            int len = body.length > 0 && body[body.length - 1] == 0 ? body.length - 1 : body.length;
            tag = new String(body, 0, len, StandardCharsets.UTF_8);
        } else if (type == 'Z' && body != null && body.length > 0) {
            status = (char) body[0];
        }
        body = null;
        listener.seen(type, tag, status, end);
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}
