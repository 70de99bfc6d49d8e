package generated

// PermKey is the key of a permission check: may User use Perm on Registry?
type PermKey struct {
	User     uint64
	Registry uint64
	Perm     string
}
