#!/usr/bin/env python3
"""ctrl_tcp.py PORT COMMAND [PARAMS...]: sends one command to baresip's ctrl_tcp
module (a netstring holding {"command", "params", "token"}) and prints every
netstring JSON received (events, then the response) until the response.

Examples: ctrl_tcp.py 27180 dial sip:alice@test.chorus
          ctrl_tcp.py 27180 hangup
          ctrl_tcp.py 27180 quit
"""
import json, socket, sys

def netstring(b):
    return str(len(b)).encode() + b":" + b + b","

def read_netstring(f):
    n = b""
    while True:
        c = f.read(1)
        if not c:
            raise EOFError
        if c == b":":
            break
        n += c
    data = f.read(int(n))
    f.read(1)
    return json.loads(data)

port, cmd = int(sys.argv[1]), sys.argv[2]
params = " ".join(sys.argv[3:])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(netstring(json.dumps({"command": cmd, "params": params, "token": "t1"}).encode()))
f = s.makefile("rb")
while True:
    msg = read_netstring(f)
    print(json.dumps(msg))
    if msg.get("response"):
        break
