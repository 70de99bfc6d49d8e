package generated

//go:generate go tool cachegen -name=StringCache -key=string -value=string "-deprecated=use shard.Cache[string, string] (shard.New), which has the same methods and options."
//go:generate go tool cachegen -name=BytesCache -key=string -value=[]byte "-deprecated=use shard.Cache[string, []byte] (shard.New), which has the same methods and options."
//go:generate go tool cachegen -name=Uint64Cache -key=uint64 -value=uint64
//go:generate go tool cachegen -name=AnyCache -key=string -value=any "-deprecated=use shard.Cache[string, any] (shard.New), which has the same methods and options."
//go:generate go tool cachegen -name=DigestCache -key=[32]byte -value=[]byte
//go:generate go tool cachegen -name=PermCache -key=PermKey -value=bool
//go:generate go tool cachegen -name=TokenCache -key=string -value=*Token "-deprecated=use shard.Cache[string, *Token] (shard.New), which has the same methods and options."
//go:generate go tool cachegen -name=CounterCache -key=string -value=uint64 "-deprecated=use shard.Cache[string, uint64] (shard.New), which has the same methods and options."
