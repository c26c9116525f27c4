package keys

import (
	"bytes"
	"strings"
	"testing"
)

func TestGenerateMillionUniqueAndValid(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		k, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if !LooksValid(k) {
			t.Fatalf("generated key %d fails LooksValid (masked %s)", i, Mask(k))
		}
		if _, dup := seen[k]; dup {
			t.Fatalf("duplicate key after %d keys", i)
		}
		seen[k] = struct{}{}
	}
}

func TestOneCharacterChangeFails(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(k); i++ {
		for _, c := range []byte(alphabet + "-_ !") {
			if c == k[i] {
				continue
			}
			changed := k[:i] + string(c) + k[i+1:]
			if LooksValid(changed) {
				t.Fatalf("changing position %d to %q still passes", i, c)
			}
		}
	}
	// Swapping two neighbouring different characters is a common typo.
	for i := len(Prefix); i+1 < len(k); i++ {
		if k[i] == k[i+1] {
			continue
		}
		b := []byte(k)
		b[i], b[i+1] = b[i+1], b[i]
		if LooksValid(string(b)) {
			t.Fatalf("transposing %d and %d still passes", i, i+1)
		}
	}
}

func TestLooksValidRejects(t *testing.T) {
	k, _ := Generate()
	for _, bad := range []string{
		"", "sk-", "sk-abc", k[:len(k)-1], k + "a", "pk-" + k[3:],
		strings.ToUpper(k[:3]) + k[3:], " " + k[1:], k[:10] + "é" + k[12:],
		"sk-" + strings.Repeat("a", BodyLen),
	} {
		if LooksValid(bad) {
			t.Errorf("LooksValid(%q) = true", Mask(bad))
		}
	}
}

func TestMaskShowsAtMostFour(t *testing.T) {
	k, _ := Generate()
	m := Mask(k)
	if m != "sk-****"+k[len(k)-4:] {
		t.Fatalf("Mask = %q", m)
	}
	secret := k[len(Prefix):]
	shown := strings.TrimPrefix(m, "sk-****")
	if len(shown) > 4 || !strings.HasSuffix(secret, shown) {
		t.Fatalf("Mask shows %q", shown)
	}
	for _, short := range []string{"", "a", "sk-12345"} {
		if got := Mask(short); got != "sk-****" {
			t.Errorf("Mask(%q) = %q", short, got)
		}
	}
}

func TestGenerateUnbiasedAlphabet(t *testing.T) {
	// All bytes 248..255 must be skipped: a reader that gives only those
	// followed by zeros yields a body of '0's.
	src := append(bytes.Repeat([]byte{255}, 64), make([]byte, 64)...)
	k, err := generate(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k, Prefix+strings.Repeat("0", randomLen)) {
		t.Fatalf("biased bytes were used: %s", Mask(k))
	}
	if !LooksValid(k) {
		t.Fatal("key with checksum fails")
	}
}

func TestGenerateDistribution(t *testing.T) {
	counts := make(map[byte]int)
	const n = 20_000
	for i := 0; i < n; i++ {
		k, _ := Generate()
		for j := len(Prefix); j < len(Prefix)+randomLen; j++ {
			counts[k[j]]++
		}
	}
	if len(counts) != len(alphabet) {
		t.Fatalf("saw %d distinct characters, want %d", len(counts), len(alphabet))
	}
	want := float64(n*randomLen) / float64(len(alphabet))
	for c, got := range counts {
		if d := (float64(got) - want) / want; d > 0.05 || d < -0.05 {
			t.Errorf("character %q appears %d times, expected about %.0f", c, got, want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(); err != nil {
			b.Fatal(err)
		}
	}
}
