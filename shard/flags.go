package shard

import "flag"

// BindFlags defines on fs the flags of the options operators tune most,
// each defaulting to o's current value and writing into o when fs is
// parsed:
//
//	<prefix>capacity      int       Capacity
//	<prefix>ttl           duration  TTL
//	<prefix>max-ttl       duration  MaxTTL
//	<prefix>negative-ttl  duration  NegativeTTL
//
// prefix is put before each name as it is, e.g. "token-cache-" gives
// -token-cache-capacity. Set o's defaults before calling BindFlags (they
// become the flags' defaults, shown by -help), and pass o to New after
// fs.Parse: New checks the values (a negative TTL is an error naming the
// option). fs is a standard *flag.FlagSet (flag.CommandLine for the
// program's own flags); a pflag.FlagSet takes the flags through
// AddGoFlagSet. BindFlags panics, as flag does, if fs already defines one
// of the names.
func (o *Options[K, V]) BindFlags(fs *flag.FlagSet, prefix string) {
	fs.IntVar(&o.Capacity, prefix+"capacity", o.Capacity,
		"most entries the cache holds (0: no bound on entries, then a weight bound is required)")
	fs.DurationVar(&o.TTL, prefix+"ttl", o.TTL,
		"how long an entry lives (0: no expiry)")
	fs.DurationVar(&o.MaxTTL, prefix+"max-ttl", o.MaxTTL,
		"cap on the lifetime a value's own expiry gives it (0: no cap)")
	fs.DurationVar(&o.NegativeTTL, prefix+"negative-ttl", o.NegativeTTL,
		"how long a key a load found absent is remembered (0: not remembered)")
}
