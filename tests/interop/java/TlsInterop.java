import aviary.echo.Echo;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSSLTransportFactory;
import org.apache.thrift.transport.TSSLTransportFactory.TSSLTransportParameters;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;

/**
 * Apache Thrift's Java TLS client (TSSLTransportFactory) against the echo service over mutual TLS.
 *
 * Usage: TlsInterop HOST PORT KEYSTORE TRUSTSTORE PASSWORD
 *
 * KEYSTORE (PKCS12) holds the client certificate and key, TRUSTSTORE (PKCS12) the CA. Calls
 * repeat("ab", 2), then echo (which the test's allow-list refuses this identity), on one
 * framed binary connection, printing one JSON line per call:
 *   {"call": NAME, "ok": STRING} | {"call": NAME, "app_error": {"type": N, "message": M}} |
 *   {"call": NAME, "failure": TEXT}
 * A handshake the server refuses ends the program with exit status 3.
 */
public final class TlsInterop {
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: TlsInterop HOST PORT KEYSTORE TRUSTSTORE PASSWORD");
            System.exit(2);
        }
        TSSLTransportParameters params = new TSSLTransportParameters();
        params.setKeyStore(args[2], args[4], null, "PKCS12");
        params.setTrustStore(args[3], args[4], null, "PKCS12");
        TTransport socket = TSSLTransportFactory.getClientSocket(args[0], Integer.parseInt(args[1]), 10000, params);
        TTransport transport = new TFramedTransport(socket);
        Echo.Client client = new Echo.Client(new TBinaryProtocol(transport, true, true));
        try {
            print("repeat", client.repeat("ab", 2), null);
        } catch (TApplicationException e) {
            print("repeat", null, e);
        } catch (org.apache.thrift.transport.TTransportException e) {
            System.err.println("refused: " + e);
            System.exit(3);
        }
        try {
            aviary.echo.Message m = new aviary.echo.Message();
            m.setText("hi");
            print("echo", client.echo(m).getText(), null);
        } catch (TApplicationException e) {
            print("echo", null, e);
        }
        transport.close();
    }

    static void print(String call, String ok, TApplicationException e) {
        if (e == null) {
            System.out.println("{\"call\": \"" + call + "\", \"ok\": \"" + esc(ok) + "\"}");
        } else {
            System.out.println("{\"call\": \"" + call + "\", \"app_error\": {\"type\": " + e.getType() + ", \"message\": \"" + esc(e.getMessage()) + "\"}}");
        }
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
