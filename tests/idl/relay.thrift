/** A service for client tests: each call makes a call of its own to a Probe service. */
namespace java aviary.relay

service Relay {
  /** Calls Probe.whoami at `dest` from inside this call, with a framework.client over
      `transport` ("thrift", "thriftmux" or "http") whose own timeout is `timeoutS`; returns
      what Probe saw, plus this call's own trace and deadline under "up.*". With `late`, it
      first waits until this call's deadline has passed; a client error comes back as
      "error" (its type) and "message". */
  map<string, string> relay(1: string dest, 2: string transport, 3: double timeoutS, 4: bool late),
}
