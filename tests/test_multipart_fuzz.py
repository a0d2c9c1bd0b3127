"""The multipart parser on hostile input: every parse ends, with a result or
a 400/413, whatever the bytes and however they are split (aiohttp
CVE-2024-30251 class), and adversarial shapes parse in one pass
(CVE-2023-46136 class; timings live in bench/, here they must only end)."""

from __future__ import annotations

import asyncio
import random
import typing as t

import pytest
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from pottle.formparser import FormDataParser

BOUNDARY = b"fuzzb"
SEED_BODIES = [
    b'--fuzzb\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
    b'--fuzzb\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n'
    b"Content-Type: text/plain\r\n\r\nfile\r\ndata\r\n--fuzzb--\r\n",
    b"--fuzzb--\r\n",
    b"\r\n--fuzzb\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--fuzzb--",
]
TOKENS = [
    b"\r",
    b"\n",
    b"\r\n",
    b"-",
    b"--",
    b"--fuzzb",
    b"\r\n--fuzzb",
    b"--fuzzb--",
    b":",
    b";",
    b'"',
    b"name=",
    b"filename=",
    b"\xff",
    b"\x00",
    b" ",
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        pos = rng.randint(0, len(out))
        if op == 0 and out:
            del out[pos : pos + rng.randint(1, 8)]
        elif op == 1:
            out[pos:pos] = rng.choice(TOKENS)
        elif op == 2 and out:
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        else:
            out[pos:pos] = out[pos : pos + rng.randint(1, 30)]
    return bytes(out)


async def parse_split(data: bytes, cuts: list[int], **limits: t.Any) -> t.Any:
    async def chunks() -> t.AsyncIterator[bytes]:
        last = 0
        for cut in [*cuts, len(data)]:
            yield data[last:cut]
            last = cut

    return await FormDataParser(**limits).parse(
        chunks(), "multipart/form-data", {"boundary": BOUNDARY.decode()}
    )


def test_mutated_bodies_end_with_a_result_or_a_client_error() -> None:
    rng = random.Random(20240530)
    outcomes = {"parsed": 0, "400": 0, "413": 0}

    async def main() -> None:
        for _ in range(3000):
            data = mutate(rng, rng.choice(SEED_BODIES))
            cuts = sorted(
                rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 6)))
            )
            try:
                await asyncio.wait_for(
                    parse_split(
                        data, cuts, max_part_header_size=256, max_form_parts=20
                    ),
                    timeout=5,
                )
            except RequestEntityTooLarge:
                outcomes["413"] += 1
            except BadRequest:
                outcomes["400"] += 1
            else:
                outcomes["parsed"] += 1

    asyncio.run(main())
    # The fuzzer reaches both sides.
    assert outcomes["parsed"] > 100
    assert outcomes["400"] > 100


@pytest.mark.parametrize("size", [1, 2, 5, 13])
def test_every_split_of_a_valid_body_parses_the_same(size: int) -> None:
    data = SEED_BODIES[0]

    async def main() -> t.Any:
        return await parse_split(data, list(range(size, len(data), size)))

    form, files = asyncio.run(main())
    assert form["a"] == "1"
    assert files["f"].read() == b"file\r\ndata"
    files["f"].close()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\r\n" * 2_000_000, id="line breaks"),
        pytest.param(b"\r" * 4_000_000, id="carriage returns"),
        pytest.param(b"\n" * 4_000_000, id="line feeds"),
        pytest.param(b"\r\n--fuzz" * 500_000, id="near-boundaries"),
        pytest.param(b"-" * 4_000_000, id="dashes"),
    ],
)
def test_adversarial_file_contents_parse_in_one_pass(payload: bytes) -> None:
    data = (
        b'--fuzzb\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'
        + payload
        + b"\r\n--fuzzb--\r\n"
    )

    async def main() -> t.Any:
        return await parse_split(data, list(range(65536, len(data), 65536)))

    _, files = asyncio.run(main())
    assert files["f"].read() == payload
    files["f"].close()
