package cli

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

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

// resolveToken finds the token that ref addresses: a numeric ID, or else
// the exact name of exactly one token. A number that is no token's ID is
// tried as a name too, so a token named "2024" stays reachable.
func resolveToken(st storage.Store, ref string) (model.Token, error) {
	if id, err := strconv.ParseUint(ref, 10, 64); err == nil && id > 0 {
		tok, err := st.Get(id)
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return model.Token{}, err
		}
	}
	return tokenByName(st, ref)
}

// tokenByName returns the one token called name, or an error that says
// none or several are.
func tokenByName(st storage.Store, name string) (model.Token, error) {
	toks, err := st.List()
	if err != nil {
		return model.Token{}, err
	}
	found := slices.DeleteFunc(toks, func(t model.Token) bool { return t.Name != name })
	switch len(found) {
	case 0:
		return model.Token{}, fmt.Errorf("no token has the ID or name %q; "+
			"run 'keyward tokens list' to see them", name)
	case 1:
		return found[0], nil
	}
	return model.Token{}, ambiguous(name, found)
}

// ambiguous is the error for a name that several tokens share.
func ambiguous(name string, found []model.Token) error {
	slices.SortFunc(found, func(a, b model.Token) int { return cmp.Compare(a.ID, b.ID) })
	ids := make([]string, len(found))
	for i, t := range found {
		ids[i] = strconv.FormatUint(t.ID, 10)
	}
	return fmt.Errorf("%d tokens are named %q (IDs %s); use the ID instead",
		len(found), name, strings.Join(ids, ", "))
}
