"""grpc.testing message classes for the grpcio peers, generated at run time.

The grpc-proto package's test protos are compiled with protoc (grpc_tools when installed) into a
directory the caller owns; no grpc service stubs are generated, so none are needed.
"""

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys

PROTO_ROOTS = ("/usr/share/grpc-proto", "/usr/local/share/grpc-proto")
PROTOS = ("empty", "messages", "test")


def _die(why):
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    sys.exit("%s: %s" % (name, why))


def find_proto_root():
    for root in PROTO_ROOTS:
        if os.path.exists(os.path.join(root, "grpc/testing/test.proto")):
            return root
    return _die("grpc/testing/test.proto not found (install grpc-proto)")


def generate_messages(out_dir):
    """Generates the *_pb2 modules into out_dir and imports them: returns (empty, messages).

    The protos are copied flat into out_dir first, because modules generated under their own
    path (grpc/testing/...) would have to live in a package named `grpc`, which is grpcio's.
    """
    root = find_proto_root()
    src = os.path.join(out_dir, "proto")
    os.mkdir(src)
    for name in PROTOS:
        with open(os.path.join(root, "grpc/testing", name + ".proto"), encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r'import "grpc/testing/(\w+\.proto)";', r'import "\1";', text)
        with open(os.path.join(src, name + ".proto"), "w", encoding="utf-8") as f:
            f.write(text)
    args = ["-I" + src, "--python_out=" + out_dir] + [name + ".proto" for name in PROTOS]
    if importlib.util.find_spec("grpc_tools") is not None:
        from grpc_tools import protoc  # pylint: disable=import-outside-toplevel

        rc = protoc.main(["protoc"] + args)
    else:
        protoc = shutil.which("protoc")
        if protoc is None:
            _die("neither grpc_tools nor protoc is available")
        rc = subprocess.run([protoc] + args, cwd=src, check=False).returncode
    if rc != 0:
        _die("protoc failed with status %d" % rc)
    sys.path.insert(0, out_dir)
    return importlib.import_module("empty_pb2"), importlib.import_module("messages_pb2")
