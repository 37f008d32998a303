"""QUIC v1 client Initials built and read with Python's standard library only.

Initial packets protected with the Initial keys of RFC 9001 section 5 and
carrying a TLS 1.3 ClientHello, the server's Initial decrypted back, frames
and long headers parsed, and a one-line description of any datagram. AES and
GCM are written out because only the standard library is used;
self_test_crypto() checks them against FIPS-197, GCM and RFC 9001 vectors.
"""

import hashlib
import hmac
import struct

QUIC_V1 = 1
MIN_INITIAL = 1200  # RFC 9000 section 14.1


# --- AES-128, AES-128-GCM and HKDF (standard library only) -----------------------------------

def _xtime(a):
    return ((a << 1) ^ 0x1b) & 0xff if a & 0x80 else a << 1


def _make_sbox():
    def rotl8(x, s):
        return ((x << s) | (x >> (8 - s))) & 0xff
    sbox = [0] * 256
    p = q = 1
    while True:
        p ^= _xtime(p)  # p * 3 in GF(2^8)
        q ^= q << 1  # q / 3
        q ^= q << 2
        q ^= q << 4
        q &= 0xff
        if q & 0x80:
            q ^= 0x09
        sbox[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63
        if p == 1:
            break
    sbox[0] = 0x63
    return sbox


_SBOX = _make_sbox()
_TE0 = [(_xtime(s) << 24) | (s << 16) | (s << 8) | (_xtime(s) ^ s) for s in _SBOX]
_TE1 = [((t >> 8) | (t << 24)) & 0xffffffff for t in _TE0]
_TE2 = [((t >> 16) | (t << 16)) & 0xffffffff for t in _TE0]
_TE3 = [((t >> 24) | (t << 8)) & 0xffffffff for t in _TE0]


class Aes128:
    def __init__(self, key):
        assert len(key) == 16
        w = list(struct.unpack('>4I', key))
        rcon = 1
        for i in range(4, 44):
            t = w[i - 1]
            if i % 4 == 0:
                t = ((t << 8) | (t >> 24)) & 0xffffffff
                t = ((_SBOX[t >> 24] << 24) | (_SBOX[(t >> 16) & 255] << 16)
                     | (_SBOX[(t >> 8) & 255] << 8) | _SBOX[t & 255])
                t ^= rcon << 24
                rcon = _xtime(rcon)
            w.append(w[i - 4] ^ t)
        self.rk = w

    def encrypt_block(self, block):
        rk, s = self.rk, _SBOX
        s0, s1, s2, s3 = struct.unpack('>4I', block)
        s0, s1, s2, s3 = s0 ^ rk[0], s1 ^ rk[1], s2 ^ rk[2], s3 ^ rk[3]
        for r in range(4, 40, 4):
            s0, s1, s2, s3 = (
                _TE0[s0 >> 24] ^ _TE1[(s1 >> 16) & 255] ^ _TE2[(s2 >> 8) & 255]
                ^ _TE3[s3 & 255] ^ rk[r],
                _TE0[s1 >> 24] ^ _TE1[(s2 >> 16) & 255] ^ _TE2[(s3 >> 8) & 255]
                ^ _TE3[s0 & 255] ^ rk[r + 1],
                _TE0[s2 >> 24] ^ _TE1[(s3 >> 16) & 255] ^ _TE2[(s0 >> 8) & 255]
                ^ _TE3[s1 & 255] ^ rk[r + 2],
                _TE0[s3 >> 24] ^ _TE1[(s0 >> 16) & 255] ^ _TE2[(s1 >> 8) & 255]
                ^ _TE3[s2 & 255] ^ rk[r + 3])

        def last(a, b, c, d, k):
            return ((s[a >> 24] << 24) | (s[(b >> 16) & 255] << 16) | (s[(c >> 8) & 255] << 8)
                    | s[d & 255]) ^ k
        return struct.pack('>4I', last(s0, s1, s2, s3, rk[40]), last(s1, s2, s3, s0, rk[41]),
                           last(s2, s3, s0, s1, rk[42]), last(s3, s0, s1, s2, rk[43]))


def _gf_mult(x, y):
    """Multiplication in GCM's GF(2^128), blocks as big-endian integers."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ (0xe1 << 120) if v & 1 else v >> 1
    return z


class AesGcm:
    """AES-128-GCM with 12-byte nonces and 16-byte tags."""

    def __init__(self, key):
        self.aes = Aes128(key)
        self.h = int.from_bytes(self.aes.encrypt_block(bytes(16)), 'big')

    def _ghash(self, aad, data):
        x = 0
        for chunk in (aad, data):
            for i in range(0, len(chunk), 16):
                block = chunk[i:i + 16].ljust(16, b'\0')
                x = _gf_mult(x ^ int.from_bytes(block, 'big'), self.h)
        lengths = struct.pack('>QQ', len(aad) * 8, len(data) * 8)
        return _gf_mult(x ^ int.from_bytes(lengths, 'big'), self.h)

    def _ctr(self, nonce, data):
        out = bytearray()
        for n, i in enumerate(range(0, len(data), 16)):
            stream = self.aes.encrypt_block(nonce + struct.pack('>I', n + 2))
            out += bytes(a ^ b for a, b in zip(data[i:i + 16], stream))
        return bytes(out)

    def _tag(self, nonce, aad, ciphertext):
        s = int.from_bytes(self.aes.encrypt_block(nonce + b'\0\0\0\1'), 'big')
        return (s ^ self._ghash(aad, ciphertext)).to_bytes(16, 'big')

    def seal(self, nonce, plaintext, aad):
        ciphertext = self._ctr(nonce, plaintext)
        return ciphertext + self._tag(nonce, aad, ciphertext)

    def open(self, nonce, sealed, aad):
        ciphertext, tag = sealed[:-16], sealed[-16:]
        if not hmac.compare_digest(tag, self._tag(nonce, aad, ciphertext)):
            raise ValueError('AEAD tag mismatch')
        return self._ctr(nonce, ciphertext)


def hkdf_expand_label(secret, label, length):
    full = b'tls13 ' + label
    info = struct.pack('>HB', length, len(full)) + full + b'\0'
    out, t, i = b'', b'', 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


INITIAL_SALT_V1 = bytes.fromhex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a')


class InitialKeys:
    """RFC 9001 section 5.2: Initial packet protection derived from the client's first DCID."""

    def __init__(self, client_dcid, server_side):
        initial = hmac.new(INITIAL_SALT_V1, client_dcid, hashlib.sha256).digest()
        secret = hkdf_expand_label(initial, b'server in' if server_side else b'client in', 32)
        self.key = hkdf_expand_label(secret, b'quic key', 16)
        self.iv = hkdf_expand_label(secret, b'quic iv', 12)
        self.hp = hkdf_expand_label(secret, b'quic hp', 16)
        self.aead = AesGcm(self.key)
        self.hp_cipher = Aes128(self.hp)

    def nonce(self, pn):
        return bytes(a ^ b for a, b in zip(self.iv, pn.to_bytes(12, 'big')))

    def mask(self, sample):
        return self.hp_cipher.encrypt_block(sample)


def self_test_crypto():
    """Known-answer tests; a broken cipher would make every 'server dropped it' check vacuous."""
    fips = Aes128(bytes(range(16))).encrypt_block(bytes.fromhex('00112233445566778899aabbccddeeff'))
    assert fips.hex() == '69c4e0d86a7b0430d8cdb78070b4c55a', 'AES-128 FIPS-197 vector'
    gcm = AesGcm(bytes(16))
    assert gcm.seal(bytes(12), b'', b'').hex() == '58e2fccefa7e3061367f1d57a4e7455a', 'GCM #1'
    assert gcm.seal(bytes(12), bytes(16), b'').hex() == (
        '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf'), 'GCM #2'
    # RFC 9001 appendix A.1 and A.2.
    dcid = bytes.fromhex('8394c8f03e515708')
    client, server = InitialKeys(dcid, False), InitialKeys(dcid, True)
    assert client.key.hex() == '1f369613dd76d5467730efcbe3b1a22d', 'RFC 9001 client key'
    assert client.iv.hex() == 'fa044b2f42a3fd3b46fb255c', 'RFC 9001 client iv'
    assert client.hp.hex() == '9f50449e04a0e810283a1e9933adedd2', 'RFC 9001 client hp'
    assert server.key.hex() == 'cf3a5331653c364c88f0f379b6067e37', 'RFC 9001 server key'
    mask = client.mask(bytes.fromhex('d1b1c98dd7689fb8ec11d242b123dc9b'))
    assert mask[:5].hex() == '437b9aec36', 'RFC 9001 header protection mask'


# --- QUIC and TLS encoding --------------------------------------------------------------------

def varint(n, size=None):
    """QUIC variable-length integer (RFC 9000 section 16), optionally in a given width."""
    if size is None:
        size = 1 if n < 1 << 6 else 2 if n < 1 << 14 else 4 if n < 1 << 30 else 8
    prefix = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    assert n < 1 << (size * 8 - 2)
    return ((prefix << (size * 8 - 2)) | n).to_bytes(size, 'big')


def read_varint(data, i):
    if i >= len(data):
        raise ValueError('varint past the end')
    size = 1 << (data[i] >> 6)
    if i + size > len(data):
        raise ValueError('varint past the end')
    value = int.from_bytes(data[i:i + size], 'big') & ((1 << (size * 8 - 2)) - 1)
    return value, i + size


def _u16(n):
    return struct.pack('>H', n)


def _vec16(data):
    return _u16(len(data)) + data


def _tls_ext(ext_type, data):
    return _u16(ext_type) + _vec16(data)


def client_hello(scid, rng):
    """A TLS 1.3 ClientHello as an h3 QUIC client sends it (ALPN h3, transport parameters)."""
    def tp(param_id, value):
        return varint(param_id) + varint(len(value)) + value
    params = (tp(0x0f, scid)  # initial_source_connection_id
              + tp(0x01, varint(30000))  # max_idle_timeout
              + tp(0x04, varint(1 << 20))  # initial_max_data
              + tp(0x05, varint(256 << 10)) + tp(0x06, varint(256 << 10))
              + tp(0x07, varint(256 << 10))
              + tp(0x08, varint(0)) + tp(0x09, varint(3)))  # no server bidi, 3 uni streams
    name = b'localhost'
    key_share = rng.randbytes(32)
    sigalgs = [0x0403, 0x0503, 0x0603, 0x0807, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601]
    extensions = b''.join([
        _tls_ext(0x0000, _vec16(b'\0' + _vec16(name))),  # server_name
        _tls_ext(0x000a, _vec16(_u16(0x001d) + _u16(0x0017))),  # supported_groups
        _tls_ext(0x000d, _vec16(b''.join(_u16(a) for a in sigalgs))),  # signature_algorithms
        _tls_ext(0x0010, _vec16(b'\x02h3')),  # ALPN
        _tls_ext(0x002b, b'\x02\x03\x04'),  # supported_versions: TLS 1.3
        _tls_ext(0x002d, b'\x01\x01'),  # psk_key_exchange_modes: psk_dhe_ke
        _tls_ext(0x0033, _vec16(_u16(0x001d) + _vec16(key_share))),  # key_share: x25519
        _tls_ext(0x0039, params),  # quic_transport_parameters
    ])
    body = (_u16(0x0303) + rng.randbytes(32) + b'\0'  # legacy version, random, no session id
            + _vec16(_u16(0x1301) + _u16(0x1302) + _u16(0x1303)) + b'\x01\0'
            + _vec16(extensions))
    return b'\x01' + len(body).to_bytes(3, 'big') + body


def crypto_frame(data, offset=0):
    return b'\x06' + varint(offset) + varint(len(data)) + data


def build_initial(dcid, scid, frames, size=MIN_INITIAL, pn=0, length_field=None,
                  length_size=2, version=QUIC_V1, token=b''):
    """A protected client Initial packet padded to `size` bytes.

    length_field replaces the Length the header declares (it is protected as AAD like the real
    one), to build packets whose Length disagrees with the datagram.
    """
    keys = InitialKeys(dcid, False)
    pn_len = 4
    head = (bytes([0xc0 | (pn_len - 1)]) + version.to_bytes(4, 'big')
            + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + varint(len(token)) + token)
    if length_field is not None:
        length_size = len(varint(length_field))
    plain_len = max(len(frames), size - len(head) - length_size - pn_len - 16)
    plaintext = frames + bytes(plain_len - len(frames))  # PADDING frames
    length = pn_len + plain_len + 16 if length_field is None else length_field
    header = head + varint(length, length_size) + pn.to_bytes(pn_len, 'big')
    packet = bytearray(header + keys.aead.seal(keys.nonce(pn), plaintext, header))
    pn_offset = len(header) - pn_len
    mask = keys.mask(bytes(packet[pn_offset + 4:pn_offset + 20]))
    packet[0] ^= mask[0] & 0x0f
    for i in range(pn_len):
        packet[pn_offset + i] ^= mask[1 + i]
    return bytes(packet)


def parse_long_header(data):
    """(first byte, version, dcid, scid, offset after the SCID) of a long-header packet."""
    if len(data) < 7 or not data[0] & 0x80:
        raise ValueError('not a long header')
    version = int.from_bytes(data[1:5], 'big')
    i = 5
    dcid = data[i + 1:i + 1 + data[i]]
    i += 1 + data[i]
    if i >= len(data):
        raise ValueError('truncated long header')
    scid = data[i + 1:i + 1 + data[i]]
    i += 1 + data[i]
    if i > len(data):
        raise ValueError('truncated long header')
    return data[0], version, dcid, scid, i


def open_server_initial(datagram, original_dcid):
    """Frames [(type, value)] of the server Initial at the start of `datagram`."""
    first, version, _, _, i = parse_long_header(datagram)
    if version != QUIC_V1 or (first >> 4) & 3 != 0:
        raise ValueError('not a v1 Initial: first byte %#x version %#x' % (first, version))
    token_len, i = read_varint(datagram, i)
    i += token_len
    length, pn_offset = read_varint(datagram, i)
    keys = InitialKeys(original_dcid, True)
    mask = keys.mask(datagram[pn_offset + 4:pn_offset + 20])
    first ^= mask[0] & 0x0f
    pn_len = (first & 3) + 1
    pn_bytes = bytes(b ^ m for b, m in zip(datagram[pn_offset:pn_offset + pn_len], mask[1:]))
    header = bytes([first]) + datagram[1:pn_offset] + pn_bytes
    sealed = datagram[pn_offset + pn_len:pn_offset + length]
    plaintext = keys.aead.open(keys.nonce(int.from_bytes(pn_bytes, 'big')), sealed, header)
    return parse_frames(plaintext)


def parse_frames(data):
    frames, i = [], 0
    while i < len(data):
        ftype = data[i]
        i += 1
        if ftype == 0x00:
            continue
        if ftype == 0x01:
            frames.append(('PING', None))
        elif ftype in (0x02, 0x03):
            largest, i = read_varint(data, i)
            _, i = read_varint(data, i)  # delay
            ranges, i = read_varint(data, i)
            _, i = read_varint(data, i)  # first range
            for _ in range(2 * ranges + (3 if ftype == 0x03 else 0)):
                _, i = read_varint(data, i)
            frames.append(('ACK', largest))
        elif ftype == 0x06:
            offset, i = read_varint(data, i)
            n, i = read_varint(data, i)
            frames.append(('CRYPTO', (offset, data[i:i + n])))
            i += n
        elif ftype == 0x1c:
            code, i = read_varint(data, i)
            frame_type, i = read_varint(data, i)
            n, i = read_varint(data, i)
            frames.append(('CONNECTION_CLOSE', (code, frame_type, data[i:i + n])))
            i += n
        else:
            frames.append(('frame %#x' % ftype, None))
            break
    return frames


def describe(datagram):
    """A short name for a datagram the server sent us."""
    if not datagram:
        return 'empty'
    if datagram[0] & 0x80:
        if len(datagram) >= 5 and int.from_bytes(datagram[1:5], 'big') == 0:
            return 'version negotiation'
        return 'long header %#x' % datagram[0]
    return 'short header (stateless reset?) of %d bytes' % len(datagram)
