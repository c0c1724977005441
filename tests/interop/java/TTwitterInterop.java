import aviary.echo.Echo;
import aviary.echo.Message;

import java.nio.ByteBuffer;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.layered.TFramedTransport;

/**
 * A Java client that speaks Finagle's TTwitter on top of Apache Thrift's libthrift, the way
 * finagle-thrift's client does: the `__can__finagle__trace__v3__` probe on a fresh connection,
 * then a RequestHeader (tracing.thrift) before every call and a ResponseHeader before every reply.
 *
 * Usage: TTwitterInterop HOST PORT TRACE_ID SPAN_ID
 *
 * Prints one JSON line per step:
 *   {"step": "upgrade", "type": N}              the probe's reply message type (2 = REPLY)
 *   {"step": "echo", "ok": TEXT}                 a call with a future deadline
 *   {"step": "late", "app_error": N, "message": M}  a call whose deadline has passed
 *   {"step": "plain", "ok": TEXT}                a second connection that never upgrades
 */
public final class TTwitterInterop {
    static final String UPGRADE = "__can__finagle__trace__v3__";

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        long traceId = Long.parseUnsignedLong(args[2], 16);
        long spanId = Long.parseUnsignedLong(args[3], 16);

        TSocket socket = new TSocket(host, port, 10000);
        TFramedTransport transport = new TFramedTransport(socket);
        transport.open();
        TProtocol proto = new TBinaryProtocol(transport);

        // The probe: an empty ConnectionOptions struct as the argument.
        proto.writeMessageBegin(new TMessage(UPGRADE, TMessageType.CALL, 0));
        proto.writeStructBegin(new TStruct("ConnectionOptions"));
        proto.writeFieldStop();
        proto.writeStructEnd();
        proto.writeMessageEnd();
        transport.flush();
        TMessage reply = proto.readMessageBegin();
        TProtocolUtil.skip(proto, TType.STRUCT);
        proto.readMessageEnd();
        System.out.println("{\"step\": \"upgrade\", \"type\": " + reply.type + "}");

        Echo.Client client = new Echo.Client(proto);
        long now = System.currentTimeMillis() * 1_000_000L;

        writeHeader(proto, traceId, spanId, now, now + 30_000_000_000L);
        client.send_echo(new Message("over ttwitter"));  // header and call leave in one frame
        TProtocolUtil.skip(proto, TType.STRUCT);          // the ResponseHeader
        System.out.println("{\"step\": \"echo\", \"ok\": \"" + client.recv_echo().getText() + "\"}");

        writeHeader(proto, traceId, spanId + 1, now - 2_000_000_000L, now - 1_000_000_000L);
        client.send_echo(new Message("too late"));
        TProtocolUtil.skip(proto, TType.STRUCT);
        try {
            client.recv_echo();
            System.out.println("{\"step\": \"late\", \"ok\": \"ran anyway\"}");
        } catch (TApplicationException e) {
            System.out.println("{\"step\": \"late\", \"app_error\": " + e.getType() + ", \"message\": \"" + e.getMessage().replace("\"", "'") + "\"}");
        }
        transport.close();

        TSocket plainSocket = new TSocket(host, port, 10000);
        TFramedTransport plain = new TFramedTransport(plainSocket);
        plain.open();
        Echo.Client plainClient = new Echo.Client(new TBinaryProtocol(plain));
        System.out.println("{\"step\": \"plain\", \"ok\": \"" + plainClient.echo(new Message("plain")).getText() + "\"}");
        plain.close();
    }

    /** RequestHeader{1: trace_id, 2: span_id, 5: sampled, 6: client_id, 7: flags, 8: contexts[Deadline]}. */
    static void writeHeader(TProtocol p, long traceId, long spanId, long timestampNs, long deadlineNs) throws Exception {
        p.writeStructBegin(new TStruct("RequestHeader"));
        p.writeFieldBegin(new TField("trace_id", TType.I64, (short) 1));
        p.writeI64(traceId);
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("span_id", TType.I64, (short) 2));
        p.writeI64(spanId);
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("sampled", TType.BOOL, (short) 5));
        p.writeBool(true);
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("client_id", TType.STRUCT, (short) 6));
        p.writeStructBegin(new TStruct("ClientId"));
        p.writeFieldBegin(new TField("name", TType.STRING, (short) 1));
        p.writeString("java-ttwitter");
        p.writeFieldEnd();
        p.writeFieldStop();
        p.writeStructEnd();
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("flags", TType.I64, (short) 7));
        p.writeI64(2 | 4);  // SamplingKnown | Sampled
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("contexts", TType.LIST, (short) 8));
        p.writeListBegin(new TList(TType.STRUCT, 1));
        p.writeStructBegin(new TStruct("RequestContext"));
        p.writeFieldBegin(new TField("key", TType.STRING, (short) 1));
        p.writeBinary(ByteBuffer.wrap("com.twitter.finagle.Deadline".getBytes("UTF-8")));
        p.writeFieldEnd();
        p.writeFieldBegin(new TField("value", TType.STRING, (short) 2));
        p.writeBinary(ByteBuffer.allocate(16).putLong(timestampNs).putLong(deadlineNs).flip());
        p.writeFieldEnd();
        p.writeFieldStop();
        p.writeStructEnd();
        p.writeListEnd();
        p.writeFieldEnd();
        p.writeFieldStop();
        p.writeStructEnd();
    }
}
