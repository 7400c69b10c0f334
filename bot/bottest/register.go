package bottest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
)

// Login is an account's access token and device, as registration returns.
type Login struct {
	UserID      string `json:"user_id"`
	AccessToken string `json:"access_token"`
	DeviceID    string `json:"device_id"`
}

// RegisterLogin is Register that also returns the access token and device
// the registration created, saving a password login (a bcrypt check on the
// server) per account when many are needed.
func (s *Homeserver) RegisterLogin(ctx context.Context, localpart, password string) (*Login, error) {
	url := s.URL + "/_synapse/admin/v1/register"
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := doJSON(ctx, http.MethodGet, url, nil, &nonce); err != nil {
		return nil, fmt.Errorf("register nonce: %w", err)
	}
	mac := hmac.New(sha1.New, []byte(s.secret))
	mac.Write([]byte(nonce.Nonce + "\x00" + localpart + "\x00" + password + "\x00notadmin"))
	body := map[string]any{
		"nonce":    nonce.Nonce,
		"username": localpart,
		"password": password,
		"admin":    false,
		"mac":      hex.EncodeToString(mac.Sum(nil)),
	}
	var l Login
	if err := doJSON(ctx, http.MethodPost, url, body, &l); err != nil {
		return nil, fmt.Errorf("registering %s: %w", localpart, err)
	}
	if l.AccessToken == "" {
		return nil, fmt.Errorf("registering %s: no access token in the answer", localpart)
	}
	return &l, nil
}
