package cli

import (
	"fmt"
	"strconv"

	"keyward/keys"
	"keyward/model"
)

// listTokens prints the tokens that match filter as a table or JSON.
func listTokens(env Env, filter string, asJSON bool) error {
	toks, err := env.Store.List()
	if err != nil {
		return err
	}
	empty := "No tokens yet; create one with: keyward tokens create --name NAME"
	if filter != "" {
		empty = fmt.Sprintf("No tokens match %s.", shownRef(filter))
	}
	l := list[model.Token, tokenJSON]{asJSON: asJSON, toJSON: listedToken,
		table: tokenTable, empty: empty}
	return l.print(env, model.Filter(toks, filter))
}

// listedToken is a token as lists show it: without its key.
func listedToken(t model.Token) tokenJSON { return toJSON(t, false) }

// modelsCellWidth caps the Models column; tokens show prints them all.
const modelsCellWidth = 32

// tokenTable lays out the list with the console's columns.
func tokenTable(toks []model.Token) *table {
	tb := &table{}
	tb.add("ID", "NAME", "STATUS", "REMAINING / TOTAL", "MODELS", "KEY", "CREATED")
	for _, t := range toks {
		tb.add(strconv.FormatUint(t.ID, 10), t.Name, t.Status().String(),
			t.QuotaText(), truncate(modelsText(t.Models), modelsCellWidth),
			keys.Mask(t.Key), localTime(t.CreatedAt))
	}
	return tb
}

// createRequest is tokens create's parsed flags.
type createRequest struct {
	name    string
	limit   model.Money
	limited bool
	models  modelList
	json    bool
}

// run creates the token, with the console's rules, and prints its key
// once.
func (r createRequest) run(env Env) error {
	spec := model.Spec{Name: r.name, Unlimited: !r.limited, Limit: r.limit,
		Models: r.models}
	spec, err := spec.Normalize()
	if err != nil {
		return fieldMessage(err, tokenFlags())
	}
	tok, err := env.Store.Create(env.Actor, spec)
	if err != nil {
		return fieldMessage(err, tokenFlags())
	}
	env.logger().Info("token created", "id", tok.ID, "name", tok.Name, "actor", env.Actor)
	if err := r.printKey(env, tok); err != nil {
		return keyLost(tok, err)
	}
	if env.Interactive && !r.json {
		_, err = fmt.Fprintf(env.Stderr, "Created %s. The key is above; "+
			"'keyward tokens show %d --reveal' shows it again.\n", refOf(tok), tok.ID)
	}
	return err
}

// printKey writes the new key, alone on its line or in JSON. A closed
// pipe on stdout must come back as an error, not end the process with
// SIGPIPE before keyLost can say that the token exists.
func (r createRequest) printKey(env Env, tok model.Token) error {
	defer catchSIGPIPE()()
	if r.json {
		return writeJSON(env.Stdout, toJSON(tok, true))
	}
	_, err := fmt.Fprintln(env.Stdout, tok.Key)
	return err
}

// keyLost is the error when a token was created but its key could not be
// printed: the token exists, so say which it is and how to go on.
func keyLost(tok model.Token, err error) error {
	return fmt.Errorf("created %s but could not print its key (%v); run 'keyward "+
		"tokens show %d --reveal' to see the key, or 'keyward tokens delete %d' "+
		"to remove the token", refOf(tok), err, tok.ID, tok.ID)
}

// showToken prints one token, revealing its key only when asked.
func showToken(env Env, ref string, reveal, asJSON bool) error {
	tok, err := resolveToken(env.Store, ref)
	if err != nil {
		return err
	}
	if reveal {
		env.logger().Info("key revealed", "id", tok.ID, "actor", env.Actor)
	}
	if asJSON {
		return writeJSON(env.Stdout, toJSON(tok, reveal))
	}
	return writeTokenDetail(env.Stdout, tok, reveal)
}

// setEnabled enables or disables a token; one that is already in that
// state is left alone and no audit event is written.
func setEnabled(env Env, ref string, enabled bool) error {
	tok, err := resolveToken(env.Store, ref)
	if err != nil {
		return err
	}
	done, word := "Disabled", "disabled"
	if enabled {
		done, word = "Enabled", "enabled"
	}
	if tok.Enabled == enabled {
		_, err := fmt.Fprintf(env.Stdout, "%s is already %s.\n", refOf(tok), word)
		return err
	}
	if _, err := env.Store.SetEnabled(env.Actor, tok.ID, enabled); err != nil {
		return storeError(err, refOf(tok))
	}
	env.logger().Info("token "+word, "id", tok.ID, "actor", env.Actor)
	_, err = fmt.Fprintf(env.Stdout, "%s %s.\n", done, refOf(tok))
	return err
}

// deleteToken deletes a token after asking, unless yes.
func deleteToken(env Env, ref string, yes bool) error {
	tok, err := resolveToken(env.Store, ref)
	if err != nil {
		return err
	}
	if !yes {
		if err := confirmDelete(env, tok); err != nil {
			return err
		}
	}
	if err := env.Store.Delete(env.Actor, tok.ID); err != nil {
		return storeError(err, refOf(tok))
	}
	env.logger().Info("token deleted", "id", tok.ID, "actor", env.Actor)
	_, err = fmt.Fprintf(env.Stdout, "Deleted %s.\n", refOf(tok))
	return err
}

// confirmDelete asks on the terminal, defaulting to No, and refuses at
// once when there is no terminal to ask on.
func confirmDelete(env Env, tok model.Token) error {
	if !env.Interactive {
		return fmt.Errorf("refusing to delete %s without confirmation because there "+
			"is no terminal to ask on; pass --yes to delete it", refOf(tok))
	}
	prompt := fmt.Sprintf("Delete '%s'? This cannot be undone. [y/N] ", printable(tok.Name))
	if !askYes(env.Stdin, env.Stderr, prompt, env.Remote) {
		return fmt.Errorf("%s was not deleted", refOf(tok))
	}
	return nil
}
