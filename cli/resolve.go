package cli

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// tokenRef names a token in messages: 'ci-runner' (ID 3).
type tokenRef struct {
	id   uint64
	name string
}

func refOf(t model.Token) tokenRef { return tokenRef{id: t.ID, name: t.Name} }

// String returns the token's name and ID as messages show them.
func (r tokenRef) String() string {
	return fmt.Sprintf("'%s' (ID %d)", r.name, r.id)
}

// Prefixes that say how to read a token reference: id:5 is only ever an
// ID and name:5 only ever a name.
const (
	idPrefix   = "id:"
	namePrefix = "name:"
)

// tokenQuery is a token reference taken apart: what it may mean.
type tokenQuery struct {
	raw  string // as typed, for messages (through shownRef)
	id   uint64 // the ID it may be; 0 when it cannot be one
	name string // the name it may be; "" when it cannot be one
	key  string // the full key it is, when it looks like one
}

// parseRef reads a reference: id:N, name:TEXT, a full key, or else text
// that is an ID when it is a number and a name in any case.
func parseRef(ref string) (tokenQuery, error) {
	q := tokenQuery{raw: ref}
	if rest, ok := strings.CutPrefix(ref, idPrefix); ok {
		id, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || id == 0 {
			return q, usageErr("%s is not a token ID; write a number after id:, "+
				"as in id:3", shownRef(ref))
		}
		q.id = id
		return q, nil
	}
	if rest, ok := strings.CutPrefix(ref, namePrefix); ok {
		if rest == "" {
			return q, usageErr("name: needs the token's name after it, as in name:ci")
		}
		q.name = rest
		return q, nil
	}
	if keys.LooksValid(ref) {
		q.key = ref
		return q, nil
	}
	q.name = ref
	if id, err := strconv.ParseUint(ref, 10, 64); err == nil && id > 0 {
		q.id = id
	}
	return q, nil
}

// resolveToken finds the live token that ref addresses: by id:N or
// name:TEXT, by its full key, or by a number that is its ID or by its
// exact name when exactly one token has that name. A number that is one
// token's ID and another's name is refused as ambiguous, so that a token
// named "1" is never silently shadowed by ID 1.
func resolveToken(st storage.Store, ref string) (model.Token, error) {
	q, err := parseRef(ref)
	switch {
	case err != nil:
		return model.Token{}, err
	case q.key != "":
		return tokenByKey(st, q.key)
	}
	toks, err := st.List()
	if err != nil {
		return model.Token{}, err
	}
	c := candidates{q: q, named: named(toks, q.name)}
	byID, found := findID(toks, q.id)
	if found {
		c.idOK, c.idWho = true, refOf(byID).String()
	}
	id, err := c.choose()
	if err != nil {
		return model.Token{}, err
	}
	tok, _ := findID(toks, id)
	return tok, nil
}

// tokenByKey finds the token with the full key key. Messages show the
// key masked.
func tokenByKey(st storage.Store, key string) (model.Token, error) {
	tok, err := st.FindByKey(key)
	if errors.Is(err, storage.ErrNotFound) {
		return model.Token{}, fmt.Errorf("no token has the key %s; it may have been "+
			"deleted, run 'keyward tokens list' to see the tokens", keys.Mask(key))
	}
	return tok, err
}

// auditTokenID turns audit's --token into an ID. Besides what
// resolveToken accepts, a number that is no live token's ID is still an
// ID, so that the history of a deleted token stays reachable.
func auditTokenID(st storage.Store, ref string) (uint64, error) {
	if ref == "" {
		return 0, nil
	}
	q, err := parseRef(ref)
	switch {
	case err != nil:
		return 0, err
	case q.key != "":
		tok, err := tokenByKey(st, q.key)
		return tok.ID, err
	}
	toks, err := st.List()
	if err != nil {
		return 0, err
	}
	c := candidates{q: q, named: named(toks, q.name), fallbackID: true}
	if byID, ok := findID(toks, q.id); ok {
		c.idOK, c.idWho = true, refOf(byID).String()
	} else if c.idOK, err = hasHistory(st, q.id); c.idOK {
		c.idWho = fmt.Sprintf("a deleted token (ID %d)", q.id)
	}
	if err != nil {
		return 0, err
	}
	return c.choose()
}

// hasHistory reports whether the audit log has events for token id.
func hasHistory(st storage.Store, id uint64) (bool, error) {
	if id == 0 {
		return false, nil
	}
	evs, err := st.Audit(storage.AuditFilter{TokenID: id, Limit: 1})
	return len(evs) > 0, err
}

// candidates is what one reference matched: the token with its ID, if
// any, and the tokens with its exact name.
type candidates struct {
	q     tokenQuery
	idOK  bool   // some token has ID q.id
	idWho string // that token as messages name it
	named []model.Token
	// fallbackID takes q.id as it is when nothing matched (audit).
	fallbackID bool
}

// choose picks the one token the reference means, or says why it cannot.
func (c candidates) choose() (uint64, error) {
	others := slices.DeleteFunc(slices.Clone(c.named), func(t model.Token) bool {
		return c.idOK && t.ID == c.q.id
	})
	switch {
	case c.idOK && len(others) > 0:
		return 0, c.ambiguous(others)
	case c.idOK:
		return c.q.id, nil
	case len(c.named) == 1:
		return c.named[0].ID, nil
	case len(c.named) > 1:
		return 0, sharedName(c.q.name, c.named)
	case c.fallbackID && c.q.id != 0:
		return c.q.id, nil
	}
	return 0, c.notFound()
}

// ambiguous refuses a number that is one token's ID and others' name.
func (c candidates) ambiguous(others []model.Token) error {
	names := make([]string, len(others))
	for i, t := range others {
		names[i] = refOf(t).String()
	}
	return fmt.Errorf("%s is the ID of %s and the name of %s; write id:%d or name:%s "+
		"to say which", shownRef(c.q.raw), c.idWho, strings.Join(names, " and "),
		c.q.id, c.q.name)
}

// notFound says that nothing has the ID or name the reference gave.
func (c candidates) notFound() error {
	var what string
	switch {
	case c.q.name == "":
		what = fmt.Sprintf("the ID %d", c.q.id)
	case strings.HasPrefix(c.q.raw, namePrefix):
		what = "the name " + shownRef(c.q.name)
	default:
		what = "the ID or name " + shownRef(c.q.raw)
	}
	return fmt.Errorf("no token has %s; run 'keyward tokens list' to see them", what)
}

// named returns the tokens called exactly name.
func named(toks []model.Token, name string) []model.Token {
	if name == "" {
		return nil
	}
	var out []model.Token
	for _, t := range toks {
		if t.Name == name {
			out = append(out, t)
		}
	}
	return out
}

// findID returns the token with ID id among toks.
func findID(toks []model.Token, id uint64) (model.Token, bool) {
	i := slices.IndexFunc(toks, func(t model.Token) bool { return t.ID == id })
	if id == 0 || i < 0 {
		return model.Token{}, false
	}
	return toks[i], true
}

// sharedName is the error for a name that several tokens share.
func sharedName(name string, found []model.Token) error {
	slices.SortFunc(found, func(a, b model.Token) int { return cmp.Compare(a.ID, b.ID) })
	ids := make([]string, len(found))
	for i, t := range found {
		ids[i] = strconv.FormatUint(t.ID, 10)
	}
	return fmt.Errorf("%d tokens are named %s (IDs %s); use the ID instead",
		len(found), shownRef(name), strings.Join(ids, ", "))
}

// minKeyLike is the length from which a run of the key alphabet is taken
// for (part of) a key and masked in messages: half a key's body.
const minKeyLike = keys.BodyLen / 2

// shownRef quotes text the user gave (a reference, a filter) for a
// message. Text that may be a key, or much of one, is shown masked
// with keys.Mask, since messages go to terminals and logs.
func shownRef(s string) string {
	if mayBeKey(s) {
		return strconv.Quote(keys.Mask(strings.TrimSpace(s)))
	}
	return strconv.Quote(s)
}

// mayBeKey reports whether s starts with the key prefix or is a long run
// of the key alphabet.
func mayBeKey(s string) bool {
	s = strings.TrimSpace(s)
	n := keyCharRun(s)
	return strings.HasPrefix(s, keys.Prefix) || n >= minKeyLike && n == len(s)
}

// keyCharRun is the length of the run of [0-9A-Za-z] that starts s.
func keyCharRun(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return i
		}
	}
	return len(s)
}

// maskKeys hides every run of "sk-" and 16 or more key characters in msg
// behind keys.Mask: a last guard, so that no error ever prints a key
// whatever text it quotes.
func maskKeys(msg string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, keys.Prefix)
		if i < 0 {
			return b.String() + msg
		}
		n := len(keys.Prefix) + keyCharRun(msg[i+len(keys.Prefix):])
		word := msg[i : i+n]
		if n-len(keys.Prefix) >= 16 {
			word = keys.Mask(word)
		}
		b.WriteString(msg[:i] + word)
		msg = msg[i+n:]
	}
}
