package iamseed

import (
	"context"
	"log/slog"

	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/mapstore"
)

// Follow applies the generated policies of every new version of the live
// mapping's store to emu until ctx is done, so an admin's edit in the dev
// stack reaches IAM as it reaches the broker. A version the broker would
// refuse is skipped: the emulator keeps the policies of the last good one,
// as the broker keeps serving it. Problems are logged (to slog.Default when
// log is nil), never fatal.
func Follow(ctx context.Context, emu *awsemu.Emulator, live *mapstore.Live, opts iampolicy.Options, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	if live.Store() == nil {
		return nil // a fixed mapping never changes
	}
	ch, err := live.Store().Watch(ctx)
	if err != nil {
		return err
	}
	go func() {
		for r := range ch {
			m, err := live.Parse(r.Content)
			if err != nil {
				// The broker reports why; IAM keeps the last good version's
				// policies, as the broker keeps serving it.
				log.Info("dev stack: the AWS emulator keeps the last good mapping's IAM policies", "version", r.Number)
				continue
			}
			if err := Update(emu, m, opts); err != nil {
				log.Error("dev stack: applying the edited mapping's IAM policies to the AWS emulator", "version", r.Number, "err", err)
				continue
			}
			log.Info("dev stack: the AWS emulator has the edited mapping's IAM policies", "version", r.Number)
		}
	}()
	return nil
}
