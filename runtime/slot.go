package runtime

import "strings"

// SlotCount is the number of hash slots of a Redis Cluster.
const SlotCount = 16384

// Slot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of the
// key, or of its hash tag (the part between the first '{' and the next '}',
// when not empty), modulo 16384.
func Slot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^key[i]]
	}
	return crc % SlotCount
}

// HashTagKey returns a key that Redis Cluster stores in the slot of tag:
// "{tag}:name". Sets whose keys share a tag live on one node, so Union,
// Intersect, Diff, their Store variants and Move run there atomically.
// A tag containing '}' cannot be used as a hash tag; such a tag is returned
// unchanged in front of name (and gives no co-location guarantee).
func HashTagKey(tag, name string) string {
	if tag == "" || strings.ContainsRune(tag, '}') {
		return tag + ":" + name
	}
	return "{" + tag + "}:" + name
}

func sameSlot(keys []string) bool {
	if len(keys) < 2 {
		return true
	}
	s := Slot(keys[0])
	for _, k := range keys[1:] {
		if Slot(k) != s {
			return false
		}
	}
	return true
}

var crc16tab = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()
