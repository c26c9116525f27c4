package gateway

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"keyward/keys"
)

// testKeyBody is a fixed key body (48 characters) for the masking tests.
const testKeyBody = "Xq7Lm2Pz9Rt4Vw8Yb3Nc6Kd1Fg5Hj0Ss2Aa9Ee4Uu7Ii3Oo8"

// chop cuts s into pieces of n joined by sep.
func chop(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// percentAll percent-encodes every byte of s.
func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// jsonEscapeAll writes every byte of s as a \u escape.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\u%04x`, s[i])
	}
	return b.String()
}

// adversarialKeys are a key hidden in text in the ways a client might
// paste it, by mistake or not.
func adversarialKeys(body string) map[string]string {
	k := keys.Prefix + body
	return map[string]string{
		"plain":             k,
		"doubled prefix":    "sk-" + k,
		"tripled prefix":    "sk-sk-" + k,
		"no prefix":         body,
		"in a path":         "/v1/files/" + k + "/content",
		"as a model":        "model-" + k,
		"split by -":        "sk-" + chop(body, 12, "-"),
		"split by _":        chop(k, 5, "_"),
		"split by .":        chop(body, 3, "."),
		"split by %2d":      chop(k, 7, "%2d"),
		"split by %2D":      "sk%2D" + chop(body, 10, "%2D"),
		"split by spaces":   chop(body, 16, " "),
		"split by slashes":  "/v1/x/" + chop(body, 24, "/"),
		"url-encoded":       percentAll(k),
		"query-escaped":     url.QueryEscape("key=" + k),
		"half encoded":      body[:20] + percentAll(body[20:30]) + body[30:],
		"JSON string":       `{"model":"` + k + `"}`,
		"JSON escapes":      `"` + jsonEscapeAll(k) + `"`,
		"bearer header":     "Bearer " + k,
		"upper-case prefix": "SK-" + body,
		"after a word":      "task-" + body,
		"twice":             k + "," + k,
	}
}

// TestMaskKeysAdversarial hides every key hidden in adversarial ways,
// leaving no 8 characters of it in a row.
func TestMaskKeysAdversarial(t *testing.T) {
	real, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{testKeyBody, real[len(keys.Prefix):]} {
		for name, in := range adversarialKeys(body) {
			out := maskKeys(in)
			if piece, ok := leaks(out, body); ok {
				t.Errorf("%s: %q left the piece %q of the key %s", name,
					safeText(out), piece, keys.Mask(keys.Prefix+body))
			}
			if safe := safeText(in); strings.Contains(safe, body[len(body)-12:]) {
				t.Errorf("%s: safeText kept the key's end", name)
			}
		}
	}
}

// TestMaskKeysKeepsOrdinaryText leaves model names and paths alone, and
// shows what masking looks like.
func TestMaskKeysKeepsOrdinaryText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/v1/files", "/v1/files"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"},
		{"meta-llama/Meta-Llama-3.1-70B-Instruct", "meta-llama/Meta-Llama-3.1-70B-Instruct"},
		{"unsloth/DeepSeek-R1-Distill-Llama-70B-bnb-4bit",
			"unsloth/DeepSeek-R1-Distill-Llama-70B-bnb-4bit"},
		{"hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M",
			"hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M"},
		{"llama3.1:8b", "llama3.1:8b"},
		{"task-force", "task-force"},
		{"/v1/x/sk-abcDEF123/y", "/v1/x/sk-****/y"},
		{"/sk-a/sk-b", "/sk-****/sk-****"},
		{"/v1/files/" + testKeyBody, "/v1/files/****"},
		{"/v1/files/" + testKeyBody[:20] + "/x", "/v1/files/****b3Nc/x"},
		{"sk-sk-" + testKeyBody, "****"},
		{"file-abcdefghijklmnopqrstuvwx", "file-****uvwx"},
		{strings.Repeat("é", 300), strings.Repeat("é", maxLogText) + "…"},
	}
	for _, tc := range tests {
		if got := safeText(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzMaskKeys hides a key cut up by joiners between any prefix and
// suffix, and never leaves a masked shape in its output.
func FuzzMaskKeys(f *testing.F) {
	f.Add("/v1/", "/x", uint64(0), byte(0))
	f.Add("sk-", "", uint64(1<<12|1<<24|1<<36), byte(1))
	f.Add(`{"model":"`, `"}`, uint64(0xAAAAAAAAAAAA), byte(2))
	f.Add("sk-sk-", "-sk-", uint64(0xFFFFFFFFFFFF), byte(3))
	f.Fuzz(func(t *testing.T, prefix, suffix string, cuts uint64, kind byte) {
		joiners := []string{"-", "_", ".", "%2d", "%2D", `\`}
		sep := joiners[int(kind)%len(joiners)]
		var b strings.Builder
		for i := 0; i < len(testKeyBody); i++ {
			if i > 0 && cuts&(1<<i) != 0 {
				b.WriteString(sep)
			}
			b.WriteByte(testKeyBody[i])
		}
		out := maskKeys(prefix + b.String() + suffix)
		if piece, ok := leaks(out, testKeyBody); ok &&
			!strings.Contains(prefix, piece) && !strings.Contains(suffix, piece) {
			t.Errorf("the key piece %q is left", piece)
		}
		checkMasked(t, maskKeys(prefix+suffix))
		checkMasked(t, out)
	})
}

// checkMasked fails if out still holds a shape maskKeys hides.
func checkMasked(t *testing.T, out string) {
	t.Helper()
	if hasLongAlnum(out) {
		t.Errorf("%q still holds a long run or word", out)
	}
	if again := maskKeys(out); again != out {
		t.Errorf("masking is not stable: %q then %q", out, again)
	}
}
