package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// entityKey is what the entity index looks a name up by (migration 0017):
// a 32-bit FNV-1a hash of the name, signed so that SQLite stores it in
// four bytes. Names that share a key are told apart by the name itself.
func entityKey(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int64(int32(h.Sum32()))
}

// keyEntities fills in the key of every entity, when 0017 has rebuilt the
// table.
func keyEntities(ctx context.Context, tx *sql.Tx) error {
	type entity struct {
		id   int64
		name string
	}
	var all []entity
	err := eachRow(ctx, tx, `SELECT id, name FROM entities`, nil, func(rows *sql.Rows) error {
		var e entity
		err := rows.Scan(&e.id, &e.name)
		all = append(all, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("entity keys: %w", err)
	}
	up, err := tx.PrepareContext(ctx, `UPDATE entities SET key = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("entity keys: %w", err)
	}
	defer up.Close()
	for _, e := range all {
		if _, err := up.ExecContext(ctx, entityKey(e.name), e.id); err != nil {
			return fmt.Errorf("entity keys: %w", err)
		}
	}
	return nil
}
