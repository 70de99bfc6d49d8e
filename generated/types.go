package generated

import "time"

// PermKey is the key of a permission check: may User use Perm on Registry?
type PermKey struct {
	User     uint64
	Registry uint64
	Perm     string
}

// Token is a registry auth token, the value of TokenCache.
type Token struct {
	Value   string
	Expires time.Time
}
