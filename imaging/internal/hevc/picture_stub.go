package hevc

func decodePicture(st *stream, s *sps) (*Picture, error) {
	return nil, unsupported("slice decoding not written yet")
}
