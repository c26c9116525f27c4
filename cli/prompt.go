package cli

import (
	"io"
	"strings"
)

// maxAnswer bounds how much of an answer is read: a pasted paragraph is
// not a yes.
const maxAnswer = 64

// askYes writes prompt to w and reads one line from r. Only "y" or "yes"
// (any case) is a yes; an empty line, end of input, Ctrl+C, Ctrl+D or
// anything else is a no. When echo is set (an SSH session, whose client
// terminal is in raw mode and shows nothing by itself) the typed answer is
// written back to w.
func askYes(r io.Reader, w io.Writer, prompt string, echo bool) bool {
	if _, err := io.WriteString(w, prompt); err != nil {
		return false
	}
	var echoTo io.Writer
	if echo {
		echoTo = w
	}
	answer, ok := readAnswer(r, echoTo)
	if !ok || echo {
		_, _ = io.WriteString(w, "\r\n")
	}
	answer = strings.ToLower(strings.TrimSpace(answer))
	return ok && (answer == "y" || answer == "yes")
}

// readAnswer reads bytes up to a line end (LF, or CR from a raw-mode
// terminal). It reads one byte at a time so that nothing after the answer
// is consumed. ok is false at end of input or on Ctrl+C or Ctrl+D.
// Printable characters are copied to echo when it is not nil, and
// backspace removes one.
func readAnswer(r io.Reader, echo io.Writer) (string, bool) {
	var b []byte
	buf := make([]byte, 1)
	for len(b) <= maxAnswer {
		if n, err := r.Read(buf); n == 0 {
			if err != nil {
				return "", false
			}
			continue
		}
		switch c := buf[0]; {
		case c == '\n' || c == '\r':
			return string(b), true
		case c == 0x03 || c == 0x04:
			return "", false
		case c == 0x7f || c == '\b':
			if len(b) > 0 {
				b = b[:len(b)-1]
				writeEcho(echo, "\b \b")
			}
		case c >= ' ':
			b = append(b, c)
			writeEcho(echo, string(c))
		}
	}
	return "", true
}

func writeEcho(w io.Writer, s string) {
	if w != nil {
		_, _ = io.WriteString(w, s)
	}
}
