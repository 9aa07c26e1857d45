#!/usr/bin/python3
# test/bench/lock_signatures.py
#
# What the Tailnet Lock benchmark presents: a genesis AUM that trusts one
# lock key, and N node keys each with a Direct node key signature by that
# key, made with the oracle's own encoder and Ed25519 (test/lock/oracle.py;
# python3-cryptography, no Argon2 needed).  Node key i is
# SHA-256("bench lock node " || i).
#
# Copyright (c) 2026, auth_keys developers
#
# Usage: lock_signatures.py N DIR   writes DIR/genesis.hex (the AUM in hex)
#                                   and DIR/signatures.tsv (i, node key,
#                                   signature as \x hex: COPY's text format)

import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lock'))
import oracle  # noqa: E402


def main():
    count, directory = int(sys.argv[1]), sys.argv[2]
    admin = oracle.Signer('bench lock admin')
    # the disablement value of a secret nobody knows: the benchmark never
    # disables the lock, and needs no Argon2 for it
    state = oracle.State(keys=[oracle.Key(admin.pub, 1)],
                         disablement=[hashlib.sha256(b'bench lock').digest()], id1=1, id2=2)
    genesis = oracle.Aum(oracle.CHECKPOINT, state=state).sign(admin)
    with open(os.path.join(directory, 'genesis.hex'), 'w') as f:
        f.write(genesis.encode().hex() + '\n')
    with open(os.path.join(directory, 'signatures.tsv'), 'w') as f:
        for i in range(1, count + 1):
            node_key = hashlib.sha256(b'bench lock node %d' % i).digest()
            sig = oracle.NodeSig(oracle.DIRECT, pubkey=oracle.np(node_key),
                                 key_id=admin.pub).sign(admin)
            f.write('%d\tnodekey:%s\t\\\\x%s\n' % (i, node_key.hex(), sig.encode().hex()))


if __name__ == '__main__':
    main()
