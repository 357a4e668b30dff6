package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// ErrReadOnly is every write to a vault opened read-only.
var ErrReadOnly = errors.New("vault is read-only")

// roDriverName is SQLite with its write errors saying ErrReadOnly.
const roDriverName = "sqlite3_hoard_readonly"

var registerRO = sync.OnceFunc(func() { sql.Register(roDriverName, roDriver{&sqlite3.SQLiteDriver{}}) })

// OpenReadOnly opens the database at file for reading only: searches and
// lists work, and every write fails with ErrReadOnly. Its schema must be
// this hoard's: a read-only vault cannot be migrated.
func OpenReadOnly(ctx context.Context, file string) (*Store, error) {
	registerVec()
	registerRO()
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	// mode=ro reads a WAL journal left behind; where its shared-memory file
	// cannot be made (a folder not writable), immutable reads the file
	// alone, which holds everything once the vault was closed cleanly.
	var errs []error
	for _, params := range []string{"mode=ro", "mode=ro&immutable=1"} {
		db, err := sql.Open(roDriverName, "file:"+file+"?"+params+"&_foreign_keys=on&_busy_timeout=10000&_cache_size=-32000&_stmt_cache_size=64")
		if err == nil {
			err = db.PingContext(ctx)
		}
		if err == nil {
			s := &Store{db: db, path: file, readOnly: true}
			if err = s.checkSchema(ctx); err == nil {
				if s.dicts, err = newDictionaries(ctx, db); err == nil {
					return s, nil
				}
			}
		}
		if db != nil {
			db.Close()
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("open %s read-only: %w", file, errors.Join(errs...))
}

// checkSchema: the schema a read-only vault must already have.
func (s *Store) checkSchema(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v != len(ms) {
		return fmt.Errorf("%w: its schema version is %d and this hoard's %d; open it once where it can be written", ErrReadOnly, v, len(ms))
	}
	return nil
}

// ReadOnly reports whether the vault was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// cannotWrite: the error of opening a database for writing that its
// folder's permissions refuse (no journal can be made there).
func cannotWrite(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrAuth:
			return true
		}
	}
	return errors.Is(err, os.ErrPermission)
}

// roDriver's connections report a write as ErrReadOnly rather than
// SQLite's "attempt to write a readonly database".
type roDriver struct{ *sqlite3.SQLiteDriver }

func (d roDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.SQLiteDriver.Open(dsn)
	if err != nil {
		return nil, err
	}
	return roConn{c.(*sqlite3.SQLiteConn)}, nil
}

type roConn struct{ *sqlite3.SQLiteConn }

func (c roConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.SQLiteConn.ExecContext(ctx, query, args)
	return r, readOnlyError(err)
}

func (c roConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, readOnlyError(err)
	}
	return roStmt{st.(*sqlite3.SQLiteStmt)}, nil
}

func (c roConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

type roStmt struct{ *sqlite3.SQLiteStmt }

func (s roStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.SQLiteStmt.ExecContext(ctx, args)
	return r, readOnlyError(err)
}

func readOnlyError(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrReadonly {
		return ErrReadOnly
	}
	return err
}
