package tier

import (
	"strings"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
)

// TestOptionsValidate_L1RejectionsSayWhy checks that each shard option L1
// forbids is rejected, under the name the caller used (L1, or the
// deprecated Local), with the reason.
func TestOptionsValidate_L1RejectionsSayWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*shard.Options[string, string])
		want string
	}{
		{"TTL", func(o *shard.Options[string, string]) { o.TTL = time.Second }, ".TTL must be 0 (Options.TTL governs both tiers)"},
		{"Expiry", func(o *shard.Options[string, string]) {
			o.Expiry = func(string, string) time.Time { return time.Time{} }
		}, ".Expiry must be nil (Options.TTL governs both tiers)"},
		{"ExpireAfter", func(o *shard.Options[string, string]) {
			o.ExpireAfter = func(string, string) time.Duration { return 0 }
		}, ".ExpireAfter must be nil (Options.TTL governs both tiers: an L1 copy lives only as long as its Redis original)"},
		{"RefreshAhead", func(o *shard.Options[string, string]) { o.RefreshAhead = 0.5 }, ".RefreshAhead must be 0 (a background reload would bypass the Redis tier)"},
		{"NegativeTTL", func(o *shard.Options[string, string]) { o.NegativeTTL = time.Second }, ".NegativeTTL must be 0 (a remembered absence would not be invalidated by other replicas)"},
		{"MaxTTL", func(o *shard.Options[string, string]) { o.MaxTTL = time.Second }, ".MaxTTL must be 0 (it caps Expiry, which Options.TTL replaces here)"},
		{"Skew", func(o *shard.Options[string, string]) { o.Skew = time.Second }, ".Skew must be 0 (it shortens Expiry, which Options.TTL replaces here)"},
		{"OnLoad", func(o *shard.Options[string, string]) { o.OnLoad = func(string, time.Duration, error) {} }, ".OnLoad must be nil (GetOrLoad loads through Redis and its lock, not through L1)"},
	} {
		for _, field := range []string{"L1", "Local"} {
			t.Run(field+"."+tc.name, func(t *testing.T) {
				o := Options[string]{Prefix: "p:", TTL: time.Minute}
				l1 := &o.L1
				if field == "Local" {
					l1 = &o.Local
				}
				l1.Capacity = 10
				tc.edit(l1)
				err := o.validate(false)
				if err == nil || !strings.Contains(err.Error(), "tier: "+field+tc.want) {
					t.Fatalf("validate: %v, want it to contain %q", err, "tier: "+field+tc.want)
				}
			})
		}
	}
}

// TestOptions_LocalIsL1 checks that the deprecated Local still configures
// L1, and that setting both is an error.
func TestOptions_LocalIsL1(t *testing.T) {
	o := Options[string]{Prefix: "p:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 7}}
	if err := o.validate(false); err != nil {
		t.Fatal(err)
	}
	if got, name := o.l1(); got.Capacity != 7 || name != "Local" {
		t.Fatalf("l1() = Capacity %d from %s, want 7 from Local", got.Capacity, name)
	}
	o.L1.Capacity = 7
	if err := o.validate(false); err == nil || !strings.Contains(err.Error(), "set L1 or the deprecated Local, not both") {
		t.Fatalf("both set: %v", err)
	}
	o.Local = shard.Options[string, string]{}
	if got, name := o.l1(); got.Capacity != 7 || name != "L1" {
		t.Fatalf("l1() = Capacity %d from %s, want 7 from L1", got.Capacity, name)
	}
}
