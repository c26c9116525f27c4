package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/charmbracelet/x/term"
)

func backupCommand() *command {
	return &command{
		name: "backup", summary: "Copy the database to a file",
		usage: "backup FILE [--force]",
		long:  backupLong, examples: backupExamples,
		args: argSpec{min: 1, max: 1, what: "a backup file name"},
		bind: bindBackup,
	}
}

func bindBackup(fs *flag.FlagSet) binder {
	force := fs.Bool("force", false, "replace FILE if it exists")
	return func(args []string) (action, error) {
		return func(env Env) error { return backup(env, args[0], *force) }, nil
	}
}

// backup writes the copy and says where the master key is.
func backup(env Env, dst string, force bool) error {
	if dst == "-" {
		return backupToStdout(env)
	}
	if env.Remote {
		return errors.New("backup over SSH cannot write files on the server; " +
			"use 'backup -' and redirect the output on your side")
	}
	size, err := backupToFile(env, dst, force)
	if err != nil {
		return err
	}
	env.logger().Info("backup written", "file", dst, "bytes", size, "actor", env.Actor)
	_, err = fmt.Fprintf(env.Stdout, "Wrote a backup of %s to %s (%d bytes).\n"+
		"Its keys are encrypted with the master key at %s: the backup needs that "+
		"file to reveal or check keys, so keep a copy of it as safely as the backup.\n",
		env.Store.Path(), dst, size, env.Store.KeyPath())
	return err
}

func backupToStdout(env Env) error {
	if f, ok := env.Stdout.(*os.File); ok && term.IsTerminal(f.Fd()) {
		return errors.New("refusing to write a database file to the terminal; " +
			"redirect the output, as in 'keyward backup - > FILE'")
	}
	if _, err := env.Store.Backup(env.Stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stderr, "The backup needs the master key at %s to "+
		"reveal or check keys; keep a copy of it as safely as the backup.\n",
		env.Store.KeyPath())
	return err
}

// backupToFile writes the copy to a temporary file beside dst and moves
// it into place, refusing to replace dst (or ever the database itself).
func backupToFile(env Env, dst string, force bool) (int64, error) {
	if err := checkBackupTarget(env, dst, force); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".keyward-backup-*")
	if err != nil {
		return 0, backupDirError(dst, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	size, err := writeBackup(env, tmp, dst)
	if err != nil {
		return 0, err
	}
	return size, placeBackup(tmp.Name(), dst, force)
}

// checkBackupTarget refuses an existing file without force, and the
// database, the master key file and anything that is not a regular file
// (such as /dev/null) even with it.
func checkBackupTarget(env Env, dst string, force bool) error {
	st, err := os.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", dst, err)
	}
	for _, p := range []string{env.Store.Path(), env.Store.KeyPath()} {
		if other, err := os.Stat(p); err == nil && os.SameFile(st, other) {
			return fmt.Errorf("%s is Keyward's own file; choose another backup file", dst)
		}
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory; give the name of the backup file, "+
			"as in %s", dst, filepath.Join(dst, "keyward.db"))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (a device, pipe or socket); "+
			"give the path of a file to write", dst)
	}
	if !force {
		return fmt.Errorf("%s already exists; choose another name or pass --force "+
			"to replace it", dst)
	}
	return nil
}

// backupDirError explains why no file could be made beside dst, naming
// dst rather than the temporary file.
func backupDirError(dst string, err error) error {
	dir := filepath.Dir(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot write the backup %s: the directory %s does not "+
			"exist; create it first", dst, dir)
	}
	return fmt.Errorf("cannot write the backup %s in the directory %s: %w", dst, dir,
		withoutPath(err))
}

// writeBackup fills f (created 0600 by os.CreateTemp) and flushes it to
// disk; errors name dst, the file the user asked for, not the temporary
// file.
func writeBackup(env Env, f *os.File, dst string) (int64, error) {
	size, err := env.Store.Backup(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("cannot write the backup %s: %w", dst, withoutPath(err))
	}
	return size, nil
}

// withoutPath returns the cause inside a *fs.PathError (which names the
// temporary file), or err itself.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// placeBackup moves the finished file to dst. Without force a hard link
// is used, which fails rather than replace a file that appeared meanwhile.
func placeBackup(tmp, dst string, force bool) error {
	if force {
		return rename(tmp, dst)
	}
	err := os.Link(tmp, dst)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s already exists; choose another name or pass --force "+
			"to replace it", dst)
	}
	return rename(tmp, dst) // a file system without hard links
}

func rename(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("move the backup into place at %s: %w", dst, err)
	}
	return nil
}
