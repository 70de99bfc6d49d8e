package generated

//go:generate go tool cachegen -name=StringCache -key=string -value=string
//go:generate go tool cachegen -name=BytesCache -key=string -value=[]byte
//go:generate go tool cachegen -name=Uint64Cache -key=uint64 -value=uint64
//go:generate go tool cachegen -name=AnyCache -key=string -value=any
//go:generate go tool cachegen -name=DigestCache -key=[32]byte -value=[]byte
//go:generate go tool cachegen -name=PermCache -key=PermKey -value=bool
//go:generate go tool cachegen -name=TokenCache -key=string -value=*Token
//go:generate go tool cachegen -name=CounterCache -key=string -value=uint64
