import base64
import hashlib
import re

from rcsandbox.ids import hash_login_token, random_id, random_secret


def test_ids_and_tokens_have_meteor_shapes() -> None:
    ids = {random_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}", i) for i in ids)
    tokens = {random_secret() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)


def test_hashed_token_is_base64_sha256_like_accounts_hash_login_token() -> None:
    expected = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    assert hash_login_token("abc") == expected == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
