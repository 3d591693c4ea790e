"""The launcher's 'auto' chat template: the GGUF's own when it has one, else the plain layout."""
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "local_server"))
import sds_local_server as launcher  # noqa: E402


def gguf_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def gguf_file(entries) -> bytes:
    """A GGUF v3 header with the given (key, type, encoded value) entries and no tensors."""
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries))
    for key, kind, value in entries:
        out += gguf_string(key) + struct.pack("<I", kind) + value
    return out


VOCABULARY = struct.pack("<IQ", 8, 3) + gguf_string("<bos>") + gguf_string("hello") + gguf_string("world")
SCORES = struct.pack("<IQ", 6, 3) + struct.pack("<fff", 0.0, -1.0, -2.0)
TEMPLATE = "{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}"


class AutoTemplate(unittest.TestCase):
    def write(self, data: bytes) -> str:
        handle, path = tempfile.mkstemp(suffix=".gguf")
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        self.addCleanup(os.remove, path)
        return path

    def test_an_instruction_tuned_model_keeps_its_own_template(self):
        path = self.write(gguf_file([
            ("general.architecture", 8, gguf_string("llama")),
            ("llama.context_length", 4, struct.pack("<I", 4096)),
            ("tokenizer.ggml.tokens", 9, VOCABULARY),
            ("tokenizer.ggml.scores", 9, SCORES),
            ("tokenizer.ggml.add_bos_token", 7, b"\x01"),
            ("tokenizer.chat_template", 8, gguf_string(TEMPLATE)),
        ]))
        self.assertEqual(launcher.gguf_chat_template(path), TEMPLATE)
        self.assertIsNone(launcher.resolve_template("auto", path), "None keeps the GGUF's template")

    def test_a_base_model_without_a_template_gets_the_plain_layout(self):
        path = self.write(gguf_file([
            ("general.architecture", 8, gguf_string("gemma3")),
            ("tokenizer.ggml.tokens", 9, VOCABULARY),
        ]))
        self.assertIsNone(launcher.gguf_chat_template(path))
        self.assertEqual(launcher.resolve_template("auto", path), launcher.PLAIN_TEMPLATE)

    def test_a_file_that_is_not_gguf_falls_back_to_plain(self):
        path = self.write(b"not a model at all")
        with self.assertRaises(ValueError):
            launcher.gguf_chat_template(path)
        self.assertEqual(launcher.resolve_template("auto", path), launcher.PLAIN_TEMPLATE)

    def test_a_truncated_header_is_an_error_not_a_hang(self):
        whole = gguf_file([("tokenizer.ggml.tokens", 9, VOCABULARY)])
        path = self.write(whole[:-4])
        with self.assertRaises(ValueError):
            launcher.gguf_chat_template(path)

    def test_named_templates_are_unchanged(self):
        self.assertEqual(launcher.resolve_template("plain", "unused.gguf"), launcher.PLAIN_TEMPLATE)
        self.assertEqual(launcher.resolve_template("gemma", "unused.gguf"), launcher.GEMMA_TEMPLATE)
        self.assertIsNone(launcher.resolve_template("model", "unused.gguf"))


if __name__ == "__main__":
    unittest.main()
